//! Atomic file replacement, so that an interrupted save never loses a
//! checkpoint.
//!
//! Where it sits: training saves a checkpoint every so often, over the last
//! one. If the process dies halfway through writing (killed, disk full, power
//! cut), the old checkpoint must still be there and loadable. So the new bytes
//! go to a temporary file in the same directory, which is flushed to disk
//! (`sync_all`) and then renamed over the target. A rename within one
//! directory replaces the target in one step on POSIX file systems: a reader
//! sees either the whole old file or the whole new one. Finally the directory
//! itself is synced (best effort), so that the rename survives a power cut.
//!
//! If anything fails before the rename, the temporary file is removed and the
//! target is untouched. (A process killed outright can leave a temporary file
//! named `.NAME.tmp-PID-K` behind; it is never mistaken for the target.)

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{err, Result};

/// Writes `bytes` to `path`, replacing any existing file atomically: after a
/// crash `path` holds either its old contents or all of `bytes`. Errors name
/// the path.
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, bytes, |_| Ok(()))
}

/// [`write_atomic`] with a hook called after the temporary file is written and
/// synced, just before the rename; it gets the temporary file's path. Tests use
/// it to simulate a crash at the worst moment: if the hook returns an error
/// (or panics), the temporary file is removed, `path` is left as it was, and
/// the error is returned.
pub fn write_atomic_with(
    path: impl AsRef<Path>,
    bytes: &[u8],
    before_rename: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    let path = path.as_ref();
    let name = path
        .file_name()
        .ok_or_else(|| err!("{}: not a file path (no file name)", path.display()))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };

    let (mut file, tmp) = create_temp(dir, name).map_err(|e| {
        err!(
            "{}: cannot create a temporary file in {}: {e}",
            path.display(),
            dir.display()
        )
    })?;
    // From here on, any early return (or panic) removes the temporary file.
    let guard = RemoveOnDrop(Some(tmp.clone()));

    let fail = |what: &str, e: std::io::Error| {
        err!(
            "{}: {what} temporary file {}: {e}",
            path.display(),
            tmp.display()
        )
    };
    file.write_all(bytes).map_err(|e| fail("writing", e))?;
    file.sync_all().map_err(|e| fail("syncing", e))?;
    drop(file);

    before_rename(&tmp).map_err(|e| e.context(path.display()))?;

    fs::rename(&tmp, path).map_err(|e| {
        err!(
            "{}: renaming temporary file {} over it: {e}",
            path.display(),
            tmp.display()
        )
    })?;
    guard.disarm();

    // Make the rename itself durable. Not every platform can open a directory
    // for syncing, so this is best effort: the data is already safe.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Creates a new file `.NAME.tmp-PID-K` in `dir`, never reusing an existing one.
fn create_temp(dir: &Path, name: &std::ffi::OsStr) -> std::io::Result<(File, PathBuf)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut attempts = 0;
    loop {
        let k = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut tmp_name = OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".tmp-{}-{k}", std::process::id()));
        let tmp = dir.join(tmp_name);
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((f, tmp)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempts < 100 => {
                attempts += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Removes the file when dropped, unless disarmed.
struct RemoveOnDrop(Option<PathBuf>);

impl RemoveOnDrop {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = fs::remove_file(p);
        }
    }
}
