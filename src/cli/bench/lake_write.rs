//! The lake-write part of `bench`: the lake's writes against a plain sequential write of the
//! same bytes, and against a bare loop that makes the same files with nothing of the lake's code.
//!
//! Each figure is measured `ROUNDS` times, interleaved and in a rotating order, and the
//! headline compares the fastest sample of each. On this project's VMs the same plain write of
//! 122 MB took 20 ms or 280 ms within one minute, and `perf` puts the slow ones in the copy into
//! fresh page-cache pages (`copy_folio_from_iter_atomic`, two thirds of all samples): the host
//! backing the guest's memory, on tmpfs as on ext4. That noise only ever adds time, so the best
//! of several rounds is the figure least touched by it; the medians are kept beside it.

use crate::generate::{encode_hour_as, ShopSim, TableFile, World};
use crate::jobs::{run_hours, writes_in_flight, RunProgress, RunTarget};
use crate::lake::{layout, Lake, LakeIdentity, LocalDirStore};
use crate::model::{HourRange, LakeFormat, PartitionHour};
use anyhow::Context;
use futures::StreamExt;
use serde::Serialize;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use tokio_util::sync::CancellationToken;

/// Rounds of each measurement.
const ROUNDS: usize = 5;

#[derive(Debug, Serialize)]
pub(super) struct LakeWrite {
    pub bytes: u64,
    /// How many times each figure below was measured; each is the fastest of its samples.
    pub rounds: usize,
    /// Generating the hours and writing them to the lake, as `generate` does: the two overlap,
    /// and generation is most of it.
    pub secs: f64,
    pub bytes_per_sec: f64,
    pub plain_write_secs: f64,
    pub plain_write_bytes_per_sec: f64,
    /// `secs` over plain sequential write time of the same bytes. Generation included: its
    /// floor is `all_cores.secs` over `plain_write_secs`, not 1.0.
    pub slowdown_vs_plain_write: f64,
    /// Writing the same hours' files, generated beforehand, the way `generate` writes them
    /// (data files, then manifests; temp file and rename; as many hours at once): the lake's
    /// own cost.
    pub io_only_secs: f64,
    /// `io_only_secs` over `plain_write_secs` (1.0 is the ceiling).
    pub io_only_slowdown_vs_plain_write: f64,
    /// The filesystem's own floor for the lake's shape: the same files at the same paths (a
    /// stand-in of the manifests' size for each manifest) made by a bare loop of create, write
    /// and rename on one thread, with nothing of the lake's code. On a disk where making a file
    /// costs far more than writing its bytes, this, not the plain write, is what the lake can
    /// approach.
    pub bare_files_secs: f64,
    pub bare_files_slowdown_vs_plain_write: f64,
    /// `io_only_secs` over `bare_files_secs`: the lake's code's own overhead.
    pub io_only_over_bare_files: f64,
    /// The same figures from the medians of the samples instead of the fastest.
    pub medians: Medians,
    /// Every sample, in seconds, in the order taken.
    pub samples: Samples,
}

#[derive(Debug, Serialize)]
pub(super) struct Medians {
    pub secs: f64,
    pub io_only_secs: f64,
    pub bare_files_secs: f64,
    pub plain_write_secs: f64,
    pub slowdown_vs_plain_write: f64,
    pub io_only_slowdown_vs_plain_write: f64,
    pub bare_files_slowdown_vs_plain_write: f64,
}

#[derive(Debug, Default, Serialize)]
pub(super) struct Samples {
    pub generate_and_write_secs: Vec<f64>,
    pub io_only_secs: Vec<f64>,
    pub bare_files_secs: Vec<f64>,
    pub plain_write_secs: Vec<f64>,
}

#[derive(Debug, Clone, Copy)]
enum Step {
    GenerateAndWrite,
    IoOnly,
    BareFiles,
    PlainWrite,
}

const STEPS: [Step; 4] = [
    Step::GenerateAndWrite,
    Step::IoOnly,
    Step::BareFiles,
    Step::PlainWrite,
];

/// Measures under `data_dir/bench-<pid>`, removed at the end. Nothing is deleted between rounds:
/// on a journal-less ext4 (this VM's) the inode allocator skips inodes freed in the last minutes,
/// one by one, so deleting a round's files would slow the next round's.
pub(super) async fn lake_write(
    data_dir: &Path,
    identity: &LakeIdentity,
    world: Arc<World>,
    range: HourRange,
    jobs: usize,
) -> anyhow::Result<LakeWrite> {
    let format = identity.format;
    let dir = data_dir.join(format!("bench-{}-{format}", std::process::id()));
    let files = {
        let world = world.clone();
        Arc::new(tokio::task::spawn_blocking(move || generate_files(&world, range, format)).await??)
    };
    let bytes = data_bytes(&files);
    let mut samples = Samples::default();
    for round in 0..ROUNDS {
        let round_dir = dir.join(format!("round-{round}"));
        std::fs::create_dir_all(&round_dir)
            .with_context(|| format!("creating {}", round_dir.display()))?;
        // Rotated, so that no measurement always follows the same one.
        for step in STEPS.iter().cycle().skip(round).take(STEPS.len()) {
            settle_disk().await;
            match step {
                Step::GenerateAndWrite => {
                    let lake = open_lake(&round_dir.join("lake"))?;
                    let t = Instant::now();
                    let target = RunTarget {
                        lake: &lake,
                        world: world.clone(),
                        identity,
                        jobs,
                        alerts: None,
                    };
                    let summary = run_hours(
                        target,
                        range.hours().collect(),
                        RunProgress::new(),
                        CancellationToken::new(),
                    )
                    .await?;
                    samples
                        .generate_and_write_secs
                        .push(t.elapsed().as_secs_f64());
                    anyhow::ensure!(
                        summary.bytes == bytes,
                        "generate wrote {} bytes of data files, the pre-generated files hold {bytes}",
                        summary.bytes
                    );
                }
                Step::IoOnly => {
                    let lake = open_lake(&round_dir.join("lake-io"))?;
                    // `generate` hands its buffers over: copying them is no part of the write.
                    let owned = files.to_vec();
                    let t = Instant::now();
                    let writes = futures::stream::iter(owned)
                        .map(|(hour, files)| lake.write_hour(hour, files, identity))
                        .buffer_unordered(writes_in_flight(jobs));
                    futures::pin_mut!(writes);
                    while let Some(written) = writes.next().await {
                        written?;
                    }
                    samples.io_only_secs.push(t.elapsed().as_secs_f64());
                }
                Step::BareFiles => {
                    let (files, bare_dir) = (files.clone(), round_dir.join("lake-bare"));
                    let secs = tokio::task::spawn_blocking(move || {
                        write_bare_files(&bare_dir, &files, format)
                    })
                    .await?
                    .context("writing the bare files")?;
                    samples.bare_files_secs.push(secs);
                }
                Step::PlainWrite => {
                    let path = round_dir.join("plain.bin");
                    let secs =
                        tokio::task::spawn_blocking(move || plain_write(&path, bytes)).await??;
                    samples.plain_write_secs.push(secs);
                }
            }
        }
    }
    std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;

    let medians = {
        let secs = median(&samples.generate_and_write_secs);
        let io_only_secs = median(&samples.io_only_secs);
        let bare_files_secs = median(&samples.bare_files_secs);
        let plain_write_secs = median(&samples.plain_write_secs);
        Medians {
            secs,
            io_only_secs,
            bare_files_secs,
            plain_write_secs,
            slowdown_vs_plain_write: secs / plain_write_secs,
            io_only_slowdown_vs_plain_write: io_only_secs / plain_write_secs,
            bare_files_slowdown_vs_plain_write: bare_files_secs / plain_write_secs,
        }
    };
    let secs = best(&samples.generate_and_write_secs);
    let io_only_secs = best(&samples.io_only_secs);
    let bare_files_secs = best(&samples.bare_files_secs);
    let plain_write_secs = best(&samples.plain_write_secs);
    Ok(LakeWrite {
        bytes,
        rounds: ROUNDS,
        secs,
        bytes_per_sec: bytes as f64 / secs,
        plain_write_secs,
        plain_write_bytes_per_sec: bytes as f64 / plain_write_secs,
        slowdown_vs_plain_write: secs / plain_write_secs,
        io_only_secs,
        io_only_slowdown_vs_plain_write: io_only_secs / plain_write_secs,
        bare_files_secs,
        bare_files_slowdown_vs_plain_write: bare_files_secs / plain_write_secs,
        io_only_over_bare_files: io_only_secs / bare_files_secs,
        medians,
        samples,
    })
}

fn open_lake(dir: &Path) -> anyhow::Result<Lake> {
    let store = LocalDirStore::open(dir).with_context(|| format!("opening {}", dir.display()))?;
    Ok(Lake::new(Arc::new(store)))
}

/// Flushes what earlier measurements (or earlier runs) left for the disk to write back, so no
/// timed write pays for the one before it. Best effort: without `sync` the figures are only
/// noisier.
async fn settle_disk() {
    let _ = tokio::task::spawn_blocking(|| std::process::Command::new("sync").status()).await;
}

/// The physical ceiling: as many bytes as the lake's data files hold, written to one file
/// 1 MiB at a time. The file is removed at once (one inode: nothing for the next round's
/// allocator to skip).
fn plain_write(path: &Path, bytes: u64) -> std::io::Result<f64> {
    let chunk = vec![b'x'; 1 << 20];
    let t = Instant::now();
    let mut f = std::fs::File::create(path)?;
    let mut left = bytes;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        f.write_all(&chunk[..n])?;
        left -= n as u64;
    }
    drop(f);
    let secs = t.elapsed().as_secs_f64();
    std::fs::remove_file(path)?;
    Ok(secs)
}

/// The data files' bytes (what `generate` reports as written; manifests not counted).
fn data_bytes(hours: &[(PartitionHour, Vec<TableFile>)]) -> u64 {
    hours
        .iter()
        .flat_map(|(_, files)| files.iter().map(|f| f.bytes.len() as u64))
        .sum()
}

/// Makes the lake's files under `dir` with plain `std::fs` calls, at the lake's own paths: each
/// data file written to a temporary name and renamed, then a 300-byte file in place of each
/// table's manifest, directories made as needed. Returns the seconds it took.
fn write_bare_files(
    dir: &Path,
    hours: &[(PartitionHour, Vec<TableFile>)],
    format: LakeFormat,
) -> std::io::Result<f64> {
    let manifest = [b'm'; 300];
    let write = |path: &Path, bytes: &[u8]| -> std::io::Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, path)
    };
    let t = Instant::now();
    for (hour, files) in hours {
        for file in files {
            write(
                &dir.join(layout::data_file(file.table, *hour, format)),
                &file.bytes,
            )?;
        }
        for file in files {
            write(&dir.join(layout::manifest(file.table, *hour)), &manifest)?;
        }
    }
    Ok(t.elapsed().as_secs_f64())
}

/// Every hour's encoded files, in order, as `generate` would write them.
fn generate_files(
    world: &World,
    range: HourRange,
    format: LakeFormat,
) -> Result<Vec<(PartitionHour, Vec<TableFile>)>, crate::generate::EncodeError> {
    let mut out = Vec::new();
    let mut sim: Option<ShopSim<'_>> = None;
    for hour in range.hours() {
        if sim.as_ref().and_then(ShopSim::next_hour) != Some(hour) {
            sim = Some(ShopSim::new(world, hour.date()));
        }
        let Some(s) = sim.as_mut() else { continue };
        out.push((hour, encode_hour_as(&s.advance_to(hour), format)?));
    }
    Ok(out)
}

/// The fastest sample; 0 for none.
fn best(samples: &[f64]) -> f64 {
    samples.iter().copied().reduce(f64::min).unwrap_or(0.0)
}

/// The middle sample (the mean of the middle two for an even count); 0 for none.
fn median(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::{best, median};

    #[test]
    fn best_is_the_fastest_sample() {
        assert_eq!(best(&[3.0, 1.5, 2.0]), 1.5);
        assert_eq!(best(&[]), 0.0);
    }

    #[test]
    fn median_of_odd_even_and_no_samples() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }
}
