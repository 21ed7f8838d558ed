//! The `_ext` views over the lake.

use super::{query_error, sql, Inner};
use crate::lake::{layout, LakeIdentity};
use crate::model::{LakeFormat, Table};
use crate::warehouse::WarehouseError;
use duckdb::Connection;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::Ordering;

impl Inner {
    /// Creates the `_ext` views; a table with no files in the lake yet gets a stand-in with
    /// the same columns and no rows (DuckDB refuses a view over a glob matching nothing).
    ///
    /// Creating a view globs the whole lake, a cost that grows with the history, so a view is
    /// only recreated when its rendered SQL changed: each real view carries the checksum of
    /// its SQL (lake path included) as its comment.
    pub(super) fn create_ext_views(&self) -> Result<(), WarehouseError> {
        let conn = self.connection()?;
        let lake = sql::escape(&self.lake_dir.to_string_lossy());
        let lake = lake.trim_end_matches('/');
        let stamps = view_comments(&conn)?;
        let format = lake_format(&self.lake_dir);
        let mut all_ready = true;
        for table in Table::ALL {
            let view = format!("{}_ext", table.name());
            let real = sql::render(&super::readers::ext_view(format, table), &[("lake", lake)]);
            let stamp = format!(
                "retail-pipeline {}",
                crate::lake::crc32c_hex(real.as_bytes())
            );
            if stamps.get(&view) == Some(&stamp) {
                continue;
            }
            match conn.execute_batch(&real) {
                Ok(()) => conn
                    .execute_batch(&format!(
                        "COMMENT ON VIEW {view} IS {}",
                        sql::string(&stamp)
                    ))
                    .map_err(|e| query_error(&format!("ext/{view}.sql"), e))?,
                Err(e) if e.to_string().contains("No files found") => {
                    all_ready = false;
                    let stub = sql::render(
                        sql::EXT_EMPTY,
                        &[("view", view.as_str()), ("managed", table.managed())],
                    );
                    conn.execute_batch(&stub)
                        .map_err(|e| query_error("ext/empty.sql", e))?;
                }
                Err(e) => return Err(query_error(&format!("ext/{view}.sql"), e)),
            }
        }
        self.ext_views_ready.store(all_ready, Ordering::Relaxed);
        Ok(())
    }
}

/// The comment of every view, by name.
fn view_comments(conn: &Connection) -> Result<BTreeMap<String, String>, WarehouseError> {
    let name = "duckdb_views";
    let mut stmt = conn
        .prepare("SELECT view_name, comment FROM duckdb_views() WHERE NOT internal")
        .map_err(|e| query_error(name, e))?;
    let rows = stmt
        .query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })
        .map_err(|e| query_error(name, e))?;
    let mut comments = BTreeMap::new();
    for row in rows {
        let (view, comment) = row.map_err(|e| query_error(name, e))?;
        if let Some(comment) = comment {
            comments.insert(view, comment);
        }
    }
    Ok(comments)
}

/// The format `_lake.json` records for the lake; CSV for a lake not written yet (its views are
/// stand-ins until it has files, and are made again then).
fn lake_format(lake_dir: &Path) -> LakeFormat {
    std::fs::read(lake_dir.join(layout::IDENTITY))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<LakeIdentity>(&bytes).ok())
        .map(|identity| identity.format)
        .unwrap_or_default()
}
