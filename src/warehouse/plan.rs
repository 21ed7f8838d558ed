//! Which lake hours a refresh loads: complete hours (every table has its manifest) that are
//! not loaded yet. Pure set logic plus a listing of the manifests of the dates still open, so
//! it is the same for every warehouse backend.

use crate::lake::{layout, BlobPath, Lake, LakeError};
use crate::model::{parse_date, PartitionHour, Table};
use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet};

/// The hours the lake holds, by completeness.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LakeHours {
    /// Hours whose five tables all have manifests, in time order.
    pub complete: BTreeSet<PartitionHour>,
    /// Hours with some manifests but not all: a write in progress or interrupted.
    pub incomplete: BTreeSet<PartitionHour>,
}

/// Dates whose manifests a refresh need not list: all 24 hours loaded, and older than the date
/// each dimension's current state came from. None of their hours can be pending (all are
/// loaded) or a dimension candidate (those are newer than the current state), so leaving them
/// out of `LakeHours::complete` changes neither. Without this the listing of every manifest
/// grew with the history: 3,600 files after 30 days, 44,000 after a year.
pub fn settled_dates(
    loaded: &BTreeSet<PartitionHour>,
    dimension_sources: &BTreeMap<String, PartitionHour>,
) -> BTreeSet<NaiveDate> {
    let sources: Option<Vec<PartitionHour>> = Table::DIMENSIONS
        .iter()
        .map(|t| dimension_sources.get(t.name()).copied())
        .collect();
    let Some(oldest) = sources.and_then(|s| s.into_iter().min()) else {
        return BTreeSet::new();
    };
    let mut per_date: BTreeMap<NaiveDate, usize> = BTreeMap::new();
    for hour in loaded {
        *per_date.entry(hour.date()).or_default() += 1;
    }
    per_date
        .into_iter()
        .filter(|&(date, hours)| hours == 24 && date < oldest.date())
        .map(|(date, _)| date)
        .collect()
}

/// Dates listed one by one at most; with more open dates (a first refresh after a backfill)
/// each table is listed whole, which on Cloud Storage is one request per 1,000 manifests
/// rather than one per date.
const DATES_LISTED_ONE_BY_ONE: usize = 4;

/// Lists the lake's manifests but those of `settled` dates. Per table: its date directories,
/// then the manifests of the dates still open (or the whole table when many are). Reads
/// names only, never data.
pub async fn list_lake_hours(
    lake: &Lake,
    settled: &BTreeSet<NaiveDate>,
) -> Result<LakeHours, LakeError> {
    let store = lake.store();
    let mut seen: BTreeMap<PartitionHour, usize> = BTreeMap::new();
    for table in Table::ALL {
        let dir = BlobPath::new(format!("{}/{}", layout::MANIFESTS, table.name()))?;
        let open: Vec<String> = store
            .list_dirs(&dir)
            .await?
            .into_iter()
            .filter(|name| date_dir(name).is_some_and(|d| !settled.contains(&d)))
            .collect();
        let paths = if open.len() > DATES_LISTED_ONE_BY_ONE {
            store.list_paths(&dir).await?
        } else {
            let mut paths = Vec::new();
            for name in &open {
                paths.extend(store.list_paths(&dir.join(name)?).await?);
            }
            paths
        };
        for path in paths {
            match manifest_partition(path.as_str()) {
                Some(hour) if !settled.contains(&hour.date()) => {
                    *seen.entry(hour).or_default() += 1;
                }
                _ => {}
            }
        }
    }
    let mut hours = LakeHours::default();
    for (hour, tables) in seen {
        if tables == Table::ALL.len() {
            hours.complete.insert(hour);
        } else {
            hours.incomplete.insert(hour);
        }
    }
    Ok(hours)
}

/// The date of a manifest date directory, `date=YYYY-MM-DD`.
fn date_dir(name: &str) -> Option<NaiveDate> {
    parse_date(name.strip_prefix("date=")?).ok()
}

/// The partition of a manifest path `_manifests/<table>/date=YYYY-MM-DD/hour=HH.json`.
/// Anything else found there (temp files, strays) is ignored.
fn manifest_partition(path: &str) -> Option<PartitionHour> {
    let mut parts = path.rsplit('/');
    let hour = layout::manifest_hour(parts.next()?)?;
    let date = date_dir(parts.next()?)?;
    PartitionHour::new(date, hour).ok()
}

/// Complete hours not yet loaded, oldest first: new hours and late arrivals alike.
pub fn pending_hours(
    complete: &BTreeSet<PartitionHour>,
    loaded: &BTreeSet<PartitionHour>,
) -> Vec<PartitionHour> {
    complete.difference(loaded).copied().collect()
}

/// Hours a dimension may be merged from, newest first: complete hours newer than the one its
/// current state came from. The refresh takes the first that verifies.
pub fn dimension_candidates(
    complete: &BTreeSet<PartitionHour>,
    current: Option<PartitionHour>,
) -> Vec<PartitionHour> {
    complete
        .iter()
        .rev()
        .copied()
        .take_while(|h| current.is_none_or(|c| *h > c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each backend's `state/dimension_sources.sql` must list exactly `Table::DIMENSIONS`, or
    /// `settled_dates` and the dimension merges miss one.
    #[test]
    fn every_backend_reads_the_sources_of_every_dimension() {
        let listed: Vec<String> = Table::DIMENSIONS
            .iter()
            .map(|t| format!("'{}'", t.name()))
            .collect();
        let want = format!("IN ({})", listed.join(", "));
        for (backend, sql) in [
            (
                "duckdb",
                include_str!("../../sql/duckdb/state/dimension_sources.sql"),
            ),
            (
                "bigquery",
                include_str!("../../sql/bigquery/state/dimension_sources.sql"),
            ),
        ] {
            assert!(sql.contains(&want), "{backend}: {want}");
        }
    }

    fn h(s: &str) -> PartitionHour {
        s.parse().expect("valid hour")
    }

    #[test]
    fn parses_manifest_paths() {
        assert_eq!(
            manifest_partition("_manifests/sales_data/date=2026-11-20/hour=05.json"),
            Some(h("2026-11-20T05"))
        );
        assert_eq!(
            manifest_partition("_manifests/sales_data/date=2026-11-20/.tmp-hour=05.json-1-2"),
            None
        );
        assert_eq!(
            manifest_partition("_manifests/sales_data/2026-11-20/hour=05.json"),
            None
        );
    }

    #[test]
    fn pending_includes_late_arrivals() {
        let complete: BTreeSet<_> = ["2026-11-20T01", "2026-11-20T02", "2026-11-20T03"]
            .into_iter()
            .map(h)
            .collect();
        let loaded: BTreeSet<_> = [h("2026-11-20T01"), h("2026-11-20T03")].into();
        assert_eq!(pending_hours(&complete, &loaded), vec![h("2026-11-20T02")]);
    }

    #[test]
    fn dimensions_only_move_forward() {
        let complete: BTreeSet<_> = ["2026-11-20T01", "2026-11-20T02", "2026-11-20T03"]
            .into_iter()
            .map(h)
            .collect();
        assert_eq!(
            dimension_candidates(&complete, Some(h("2026-11-20T01"))),
            vec![h("2026-11-20T03"), h("2026-11-20T02")]
        );
        assert!(dimension_candidates(&complete, Some(h("2026-11-20T03"))).is_empty());
        assert_eq!(dimension_candidates(&complete, None).len(), 3);
    }

    proptest::proptest! {
        /// Whatever was loaded before (in any order, with gaps), a refresh takes every
        /// complete hour not loaded, oldest first, and nothing else; dimensions only move
        /// forward.
        #[test]
        fn pending_is_exactly_the_complete_hours_not_loaded(
            complete in proptest::collection::btree_set(0i64..2000, 0..60),
            loaded in proptest::collection::btree_set(0i64..2000, 0..60),
            current in proptest::option::of(0i64..2000),
        ) {
            let base = h("2026-01-01T00");
            let at = |i: &i64| base.offset(*i).expect("in range");
            let complete: BTreeSet<_> = complete.iter().map(at).collect();
            let loaded: BTreeSet<_> = loaded.iter().map(at).collect();
            let pending = pending_hours(&complete, &loaded);
            proptest::prop_assert!(pending.windows(2).all(|w| w[0] < w[1]));
            for hour in &complete {
                proptest::prop_assert_eq!(pending.contains(hour), !loaded.contains(hour));
            }
            proptest::prop_assert!(pending.iter().all(|p| complete.contains(p)));

            let current = current.as_ref().map(at);
            let candidates = dimension_candidates(&complete, current);
            proptest::prop_assert!(candidates.windows(2).all(|w| w[0] > w[1]));
            proptest::prop_assert!(candidates.iter().all(|c| current.is_none_or(|cur| *c > cur)));
            let newer = complete.iter().filter(|c| current.is_none_or(|cur| **c > cur)).count();
            proptest::prop_assert_eq!(candidates.len(), newer);
        }

        /// Leaving the settled dates' hours out of the complete ones changes neither what is
        /// pending nor the dimensions' candidates. Whole loaded days are made likely (a day's
        /// hours loaded with each dimension's source somewhere after it).
        #[test]
        fn settled_dates_change_no_decision(
            complete in proptest::collection::btree_set(0i64..240, 0..200),
            loaded_days in proptest::collection::btree_set(0i64..10, 0..10),
            loaded in proptest::collection::btree_set(0i64..240, 0..60),
            drawn in proptest::collection::vec(proptest::option::of(0i64..240), Table::DIMENSIONS.len()),
        ) {
            let base = h("2026-01-01T00");
            let at = |i: &i64| base.offset(*i).expect("in range");
            let loaded: BTreeSet<_> = loaded
                .iter()
                .map(at)
                .chain(loaded_days.iter().flat_map(|d| (d * 24..d * 24 + 24).map(|i| at(&i))))
                .collect();
            // Loaded hours were complete when loaded; the lake keeps them.
            let complete: BTreeSet<_> = complete.iter().map(at).chain(loaded.iter().copied()).collect();
            let mut sources = BTreeMap::new();
            // Each dimension merged from some hour, or not yet.
            for (table, source) in Table::DIMENSIONS.iter().zip(&drawn) {
                if let Some(i) = source {
                    sources.insert(table.name().to_string(), at(i));
                }
            }
            let settled = settled_dates(&loaded, &sources);
            let listed: BTreeSet<_> = complete
                .iter()
                .filter(|hour| !settled.contains(&hour.date()))
                .copied()
                .collect();
            proptest::prop_assert_eq!(pending_hours(&listed, &loaded), pending_hours(&complete, &loaded));
            for table in Table::DIMENSIONS.map(Table::name) {
                let current = sources.get(table).copied();
                proptest::prop_assert_eq!(
                    dimension_candidates(&listed, current),
                    dimension_candidates(&complete, current)
                );
            }
        }
    }

    #[test]
    fn a_date_is_settled_once_all_its_hours_are_loaded_before_the_dimensions_source() {
        fn day(d: &'static str) -> impl Iterator<Item = PartitionHour> {
            (0..24).map(move |i| h(&format!("{d}T{i:02}")))
        }
        let loaded: BTreeSet<_> = day("2026-11-01")
            .chain(day("2026-11-02"))
            .chain(day("2026-11-03").take(23))
            .collect();
        let sources = BTreeMap::from([
            ("product_catalog".to_string(), h("2026-11-03T22")),
            ("stores".to_string(), h("2026-11-02T05")),
        ]);
        let settled = settled_dates(&loaded, &sources);
        let d = |s: &str| parse_date(s).expect("date");
        // 11-02 is whole but the stores came from it; 11-03 lacks an hour.
        assert_eq!(settled, BTreeSet::from([d("2026-11-01")]));
        assert!(
            settled_dates(&loaded, &BTreeMap::new()).is_empty(),
            "no dimension merged yet"
        );
    }
}
