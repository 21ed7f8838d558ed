//! Which lake hours a refresh loads: complete hours (every table has its manifest) that are
//! not loaded yet. Pure set logic plus one listing of the manifests, so it is the same for
//! every warehouse backend.

use crate::lake::{layout, BlobPath, Lake, LakeError};
use crate::model::{parse_date, PartitionHour, Table};
use std::collections::{BTreeMap, BTreeSet};

/// The hours the lake holds, by completeness.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LakeHours {
    /// Hours whose five tables all have manifests, in time order.
    pub complete: BTreeSet<PartitionHour>,
    /// Hours with some manifests but not all: a write in progress or interrupted.
    pub incomplete: BTreeSet<PartitionHour>,
}

/// Lists the lake's manifests, one listing per table. The listing is the only part of a
/// refresh that grows with the history, and it reads names only (one small object per
/// partition), never data.
pub async fn list_lake_hours(lake: &Lake) -> Result<LakeHours, LakeError> {
    let mut seen: BTreeMap<PartitionHour, usize> = BTreeMap::new();
    for table in Table::ALL {
        let dir = BlobPath::new(format!("{}/{}", layout::MANIFESTS, table.name()))?;
        for path in lake.store().list_paths(&dir).await? {
            if let Some(hour) = manifest_partition(path.as_str()) {
                *seen.entry(hour).or_default() += 1;
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

/// The partition of a manifest path `_manifests/<table>/date=YYYY-MM-DD/hour=HH.json`.
/// Anything else found there (temp files, strays) is ignored.
fn manifest_partition(path: &str) -> Option<PartitionHour> {
    let mut parts = path.rsplit('/');
    let hour = layout::manifest_hour(parts.next()?)?;
    let date = parse_date(parts.next()?.strip_prefix("date=")?).ok()?;
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
    }
}
