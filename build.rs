//! Makes the prebuilt libduckdb.so available to the link and to the built binaries.
//!
//! Compiling DuckDB from source costs 22-26 minutes on a 2-core machine, so the `duckdb` feature
//! links against DuckDB's official prebuilt library instead (see CONTRIBUTING.md, "Building on two
//! cores"). `libduckdb-sys` reads `DUCKDB_LIB_DIR` for the link search path; `.cargo/config.toml`
//! points it at `<repo>/.libduckdb` unless the user exported their own. This script:
//! - fills `<repo>/.libduckdb` from `scripts/libduckdb.sh` (pinned, checksummed, cached) when it
//!   lacks the library, so a fresh clone builds with a plain `cargo build`;
//! - adds an rpath to that directory, without which `cargo run` / `cargo test` binaries cannot
//!   find libduckdb.so at run time.
//!
//! libduckdb-sys's build script may run before this one; that is fine because it only emits the
//! search path and the library is needed only when our crates are linked, after this script.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const LIB: &str = "libduckdb.so";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=scripts/libduckdb.sh");
    println!("cargo:rerun-if-env-changed=DUCKDB_LIB_DIR");
    println!("cargo:rerun-if-env-changed=RP_DUCKDB_CACHE");

    // The generator alone (`--no-default-features`) needs no DuckDB; the bundled fallback
    // compiles and links DuckDB statically.
    if env::var_os("CARGO_FEATURE_DUCKDB").is_none()
        || env::var_os("CARGO_FEATURE_DUCKDB_BUNDLED").is_some()
    {
        return;
    }

    let Some(dir) = env::var_os("DUCKDB_LIB_DIR").map(PathBuf::from) else {
        // Only without .cargo/config.toml; libduckdb-sys then searches the system.
        println!("cargo:warning=DUCKDB_LIB_DIR is not set; relying on a system libduckdb");
        return;
    };
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let ours = manifest_dir.join(".libduckdb");
    if !dir.join(LIB).is_file() {
        if same_dir(&dir, &ours) {
            if let Err(e) = fetch_into(&manifest_dir, &ours) {
                fail(&format!("cannot provide {LIB} in {}: {e}", ours.display()));
            }
        } else {
            fail(&format!("DUCKDB_LIB_DIR={} holds no {LIB}", dir.display()));
        }
    }
    let dir = match dir.canonicalize() {
        Ok(d) => d,
        Err(e) => fail(&format!(
            "cannot resolve DUCKDB_LIB_DIR={}: {e}",
            dir.display()
        )),
    };
    println!("cargo:rerun-if-changed={}", dir.join(LIB).display());
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
}

fn same_dir(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

/// Runs the fetch script and links the cached library into `target_dir`.
fn fetch_into(manifest_dir: &Path, target_dir: &Path) -> Result<(), String> {
    let script = manifest_dir.join("scripts/libduckdb.sh");
    let out = Command::new("bash")
        .arg(&script)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let cache = stdout
        .lines()
        .last()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .ok_or_else(|| format!("{} printed no directory", script.display()))?;
    let source = Path::new(cache).join(LIB);
    std::fs::create_dir_all(target_dir).map_err(|e| e.to_string())?;
    let dest = target_dir.join(LIB);
    let _ = std::fs::remove_file(&dest);
    // A symlink keeps one 70 MB copy per machine; copy where symlinks are refused.
    #[cfg(unix)]
    if std::os::unix::fs::symlink(&source, &dest).is_ok() {
        return Ok(());
    }
    std::fs::copy(&source, &dest).map_err(|e| format!("cannot copy {}: {e}", source.display()))?;
    // Keep the source's mtime: a copy dated now is newer than this script's run, and cargo
    // would rerun the script (and rebuild the crate) on the next build.
    let keep_mtime = std::fs::metadata(&source)
        .and_then(|m| m.modified())
        .and_then(|t| {
            std::fs::File::options()
                .write(true)
                .open(&dest)?
                .set_modified(t)
        });
    if let Err(e) = keep_mtime {
        println!(
            "cargo:warning=cannot keep the mtime of {}: {e}",
            dest.display()
        );
    }
    Ok(())
}

fn fail(reason: &str) -> ! {
    panic!(
        "\n{reason}\n\
         The `duckdb` feature links DuckDB's prebuilt library. Either fix the above (npm must be \
         installed for scripts/libduckdb.sh, or export DUCKDB_LIB_DIR to a directory holding \
         {LIB} 1.5.6), or compile DuckDB from source (about 25 minutes): \
         cargo build --features duckdb-bundled\n"
    );
}
