//! The suite's checks of what a refresh does with a damaged or unfinished lake: corrupt
//! files, a corrupt newest dimension, incomplete hours.

use super::lake_fixture::{
    data_path, expected, hours, lake_rows, read, remove_manifest, replace,
    replace_with_valid_manifest, write,
};
use super::{dimensions_merged, hours_answered, refresh, Subject};
use crate::model::Table;

/// A file that does not match its manifest (a changed byte: crc32c; cut short: size), or that
/// matches it but cannot be loaded (a non-number; an alert row of another hour, caught after
/// the hour's other tables were loaded), fails its hour only: named with its table and file,
/// nothing of the hour loaded, every other hour loaded, the watermark at the newest good hour.
/// Repaired, the failed hours load on the next refresh.
pub async fn a_corrupt_file_fails_only_its_hour_until_repaired(s: &dyn Subject) {
    let lake = s.lake();
    let all = hours("2026-11-20T21", 5);
    write(lake, &all).await;
    // The alert case needs an hour with alerts; the others take the rest, the newest hour
    // among the failed ones so that the watermark has to stay behind it.
    let mut alert_hour = None;
    for &hour in all.iter().rev() {
        if lake_rows(lake, Table::NegativeInventoryAlerts, &[hour]).await > 0 {
            alert_hour = Some(hour);
            break;
        }
    }
    let alert_hour = alert_hour.expect("an hour with alerts");
    let mut others: Vec<_> = all.iter().copied().filter(|h| *h != alert_hour).collect();
    let flipped = others.pop().expect("an hour");
    let (good, cut, bad_number) = (others[0], others[1], others[2]);

    let mut bytes = read(lake, Table::SalesData, flipped).await;
    let at = bytes.len() / 2;
    bytes[at] = if bytes[at] == b'7' { b'8' } else { b'7' };
    replace(lake, Table::SalesData, flipped, bytes).await;

    let bytes = read(lake, Table::InventoryData, cut).await;
    replace(
        lake,
        Table::InventoryData,
        cut,
        bytes[..bytes.len() / 3].to_vec(),
    )
    .await;

    let text = String::from_utf8(read(lake, Table::InventoryData, bad_number).await).expect("utf8");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[5] = lines[5].replacen(',', ",x", 3);
    replace_with_valid_manifest(
        lake,
        Table::InventoryData,
        bad_number,
        lines.join("\n") + "\n",
    )
    .await;

    let text = String::from_utf8(read(lake, Table::NegativeInventoryAlerts, alert_hour).await)
        .expect("utf8");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut fields: Vec<String> = lines[1].split(',').map(str::to_owned).collect();
    assert_eq!(
        fields[2],
        alert_hour.hour().to_string(),
        "the hour column: {}",
        lines[1]
    );
    fields[2] = ((alert_hour.hour() + 1) % 24).to_string();
    lines[1] = fields.join(",");
    let table = Table::NegativeInventoryAlerts;
    replace_with_valid_manifest(lake, table, alert_hour, lines.join("\n") + "\n").await;

    let report = refresh(s).await;
    let loaded = vec![good];
    assert_eq!(
        report.hours_loaded, loaded,
        "only the good hour: {:#?}",
        report.failures
    );
    let mut failed = vec![
        (flipped, Some(Table::SalesData), "crc32c"),
        (cut, Some(Table::InventoryData), "bytes"),
        (bad_number, Some(Table::InventoryData), ""),
        // Caught inside the hour's transaction: the backend may name the file or the hour.
        (alert_hour, None, ""),
    ];
    failed.sort_by_key(|f| f.0);
    assert_eq!(
        report.failures.len(),
        failed.len(),
        "one failure per bad hour: {:#?}",
        report.failures
    );
    // In no particular order: a backend may verify a batch's files before loading any.
    let mut failures = report.failures.clone();
    failures.sort_by_key(|f| f.hour);
    for (failure, (hour, table, why)) in failures.iter().zip(&failed) {
        let text = failure.to_string();
        assert_eq!(failure.hour, *hour, "{text}");
        if let Some(table) = table {
            assert_eq!(failure.table, *table, "{text}");
            let file = data_path(*table, *hour);
            assert!(text.contains(&file), "{text} names {file}");
        }
        assert!(text.contains(why), "{text} says {why}");
    }
    assert_eq!(
        s.managed_rows().await,
        expected(lake, &loaded).await,
        "nothing of a failed hour"
    );
    assert_eq!(hours_answered(s.warehouse()).await, loaded);
    assert_eq!(
        report.watermark_after,
        Some(good),
        "the newest hour loaded, not the newest hour"
    );

    // Regenerated (manifests last, as a crash-free rewrite does), the failed hours load.
    let mut repaired: Vec<_> = failed.iter().map(|f| f.0).collect();
    repaired.sort();
    for &hour in &repaired {
        for table in Table::ALL {
            remove_manifest(lake, table, hour).await;
        }
    }
    write(lake, &repaired).await;
    let report = refresh(s).await;
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert_eq!(
        report.hours_loaded, repaired,
        "the repaired hours, once each"
    );
    assert_eq!(s.managed_rows().await, expected(lake, &all).await);
    assert_eq!(hours_answered(s.warehouse()).await, all);
    assert_eq!(report.watermark_after, all.last().copied());
}

/// A dimension's newest partition that fails verification is reported, and the dimension is
/// merged from the next newest hour instead; the other dimension still from the newest.
pub async fn a_corrupt_newest_dimension_falls_back_to_the_next_newest(s: &dyn Subject) {
    let lake = s.lake();
    let all = hours("2026-11-20T00", 3);
    write(lake, &all).await;
    let bytes = read(lake, Table::ProductCatalog, all[2]).await;
    replace(
        lake,
        Table::ProductCatalog,
        all[2],
        bytes[..bytes.len() - 10].to_vec(),
    )
    .await;

    let report = refresh(s).await;
    assert_eq!(
        report.hours_loaded, all,
        "fact hours do not depend on the catalog's file"
    );
    assert_eq!(report.failures.len(), 1, "{:#?}", report.failures);
    let failure = &report.failures[0];
    assert_eq!(
        (failure.hour, failure.table),
        (all[2], Table::ProductCatalog)
    );
    let file = data_path(Table::ProductCatalog, all[2]);
    assert!(failure.path.ends_with(&file), "{failure} names {file}");
    let merged = dimensions_merged(&report);
    assert_eq!(
        merged,
        Table::DIMENSIONS.map(|t| match t {
            Table::ProductCatalog => (t, all[1]),
            _ => (t, all[2]),
        }),
        "the catalog from the next newest hour"
    );
    assert_eq!(s.managed_rows().await, expected(lake, &all).await);
}

/// Hours with data but not all manifests (a write interrupted before or between manifests)
/// are counted as incomplete and skipped, without failing; once complete they load.
pub async fn incomplete_hours_wait_for_their_manifests(s: &dyn Subject) {
    let lake = s.lake();
    let all = hours("2026-11-20T00", 4);
    write(lake, &all).await;
    // Hour 2 as a crash between manifests leaves it; hour 3 as one before any.
    remove_manifest(lake, Table::InventoryData, all[2]).await;
    for table in Table::ALL {
        remove_manifest(lake, table, all[3]).await;
    }
    let report = refresh(s).await;
    assert!(
        report.failures.is_empty(),
        "skipped, not failed: {:#?}",
        report.failures
    );
    assert_eq!(report.hours_loaded, all[..2], "the complete hours only");
    assert_eq!(
        report.hours_incomplete, 1,
        "hour 2 has some manifests, hour 3 none"
    );
    assert_eq!(report.watermark_after, Some(all[1]));
    assert_eq!(s.managed_rows().await, expected(lake, &all[..2]).await);
    assert_eq!(hours_answered(s.warehouse()).await, all[..2]);

    // The generator completes them (rewriting is idempotent): the next refresh loads them.
    write(lake, &all[2..]).await;
    let report = refresh(s).await;
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert_eq!(report.hours_loaded, all[2..]);
    assert_eq!(report.hours_incomplete, 0);
    assert_eq!(report.watermark_after, Some(all[3]));
    assert_eq!(s.managed_rows().await, expected(lake, &all).await);
}
