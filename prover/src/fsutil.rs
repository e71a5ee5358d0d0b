//! Crash-safe file writes.
//!
//! Every file this crate writes (keys, manifests, wallets, exports) goes through
//! [`write_atomic`] or [`create_new_atomic`]: the bytes are written to a
//! temporary file in the same directory, flushed to disk, and only then moved to
//! their name, so a reader sees either the old file or the whole new one, never
//! a torn write.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A temporary sibling of `path` that no other writer picks: the process id and
/// a per-process counter make it unique.
fn temp_sibling(path: &Path) -> io::Result<PathBuf> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} does not name a file", path.display()),
        )
    })?;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut tmp = std::ffi::OsString::from(".");
    tmp.push(name);
    tmp.push(format!(".tmp-{}-{n}", std::process::id()));
    Ok(path.with_file_name(tmp))
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Writes `bytes` to a fresh temporary sibling of `path` (created with `mode`
/// on Unix) and fsyncs it.
fn write_temp(path: &Path, bytes: &[u8], mode: u32) -> io::Result<PathBuf> {
    write_temp_with(path, mode, |f| f.write_all(bytes))
}

/// [`write_temp`] with the content streamed by `fill`.
fn write_temp_with(
    path: &Path,
    mode: u32,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<PathBuf> {
    let tmp = temp_sibling(path)?;
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let result = (|| {
        let mut f = opts.open(&tmp)?;
        fill(&mut f)?;
        f.sync_all()
    })();
    match result {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Makes a rename or link durable by syncing the directory that holds it.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Replaces `path` with `bytes` atomically (temporary file, fsync, rename,
/// directory fsync). A new file gets permission bits `mode` on Unix.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    write_atomic_with(path, mode, |f| f.write_all(bytes))
}

/// [`write_atomic`] for content too large to hold in memory at once: `fill`
/// streams it into the temporary file.
pub fn write_atomic_with(
    path: &Path,
    mode: u32,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    let tmp = write_temp_with(path, mode, fill)?;
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(parent_dir(path))
}

/// Creates `path` holding `bytes`, failing with [`io::ErrorKind::AlreadyExists`]
/// if it exists. The content appears at once and whole: it is written to a
/// temporary file first and then hard-linked to `path`, which fails instead of
/// replacing an existing file, so two concurrent creators cannot both win.
pub fn create_new_atomic(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    if path.exists() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} already exists", path.display()),
        ));
    }
    let tmp = write_temp(path, bytes, mode)?;
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    linked?;
    sync_dir(parent_dir(path))
}

/// Creates `dir` and its missing ancestors; those created get mode 0700 on Unix.
pub fn create_private_dir_all(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// A lock file, removed when dropped.
#[derive(Debug)]
pub struct LockGuard(PathBuf);

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// Creates the lock file `path` holding this process's id; fails with
/// [`io::ErrorKind::AlreadyExists`] while another holder has it.
pub fn create_lock(path: &Path) -> io::Result<LockGuard> {
    let mut f = OpenOptions::new().write(true).create_new(true).open(path)?;
    let guard = LockGuard(path.to_path_buf());
    f.write_all(std::process::id().to_string().as_bytes())?;
    f.sync_all()?;
    Ok(guard)
}

/// Whether the lock file `path` was left by a process that no longer runs.
/// On Linux, a lock whose pid has no `/proc` entry is stale; elsewhere, and
/// for a lock without a readable pid, one untouched for an hour is.
pub fn lock_is_stale(path: &Path) -> bool {
    let pid = fs::read_to_string(path)
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok());
    if let Some(pid) = pid {
        let proc_dir = Path::new("/proc");
        if proc_dir.join("self").exists() {
            return !proc_dir.join(pid.to_string()).exists();
        }
    }
    fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age > std::time::Duration::from_secs(3600))
}

/// An exclusive advisory lock on a file (`flock`), held until dropped. The
/// operating system releases it when the process ends, however it ends, so it
/// is never left stale.
#[derive(Debug)]
pub struct ExclusiveLock {
    _file: File,
}

/// Why [`try_lock_exclusive`] did not get the lock.
#[derive(Debug)]
pub enum TryLockError {
    /// Another process holds it; its id, if it wrote one.
    Busy {
        holder: Option<u32>,
    },
    Io(io::Error),
}

/// Takes the exclusive lock on `path` (creating it, mode 0600) without
/// waiting, and writes this process's id into it for the next one to name.
pub fn try_lock_exclusive(path: &Path) -> Result<ExclusiveLock, TryLockError> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(TryLockError::Io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            // The holder writes its id just after taking the lock: give it a
            // moment before saying "another process".
            let mut holder = None;
            for _ in 0..20 {
                holder = fs::read_to_string(path)
                    .ok()
                    .and_then(|s| s.trim().parse().ok());
                if holder.is_some() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            return Err(TryLockError::Busy { holder });
        }
        Err(fs::TryLockError::Error(e)) => return Err(TryLockError::Io(e)),
    }
    file.set_len(0).map_err(TryLockError::Io)?;
    file.write_all(std::process::id().to_string().as_bytes())
        .map_err(TryLockError::Io)?;
    Ok(ExclusiveLock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_create_new_refuses() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.json");
        create_new_atomic(&p, b"one", 0o600).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"one");
        let err = create_new_atomic(&p, b"two", 0o600).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&p).unwrap(), b"one");
        write_atomic(&p, b"three", 0o600).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"three");
        // No temporary files are left behind.
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("f.json")]);
        let lock = dir.path().join("l.lock");
        let guard = create_lock(&lock).unwrap();
        assert_eq!(
            create_lock(&lock).unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
        assert!(!lock_is_stale(&lock));
        drop(guard);
        assert!(!lock.exists());
        fs::write(&lock, u32::MAX.to_string()).unwrap();
        #[cfg(target_os = "linux")]
        assert!(lock_is_stale(&lock));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    #[test]
    fn exclusive_lock_names_its_holder_and_is_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.json.lock");
        let held = try_lock_exclusive(&path).unwrap();
        match try_lock_exclusive(&path) {
            Err(TryLockError::Busy { holder }) => assert_eq!(holder, Some(std::process::id())),
            other => panic!("expected the lock to be busy: {other:?}"),
        }
        drop(held);
        let again = try_lock_exclusive(&path).unwrap();
        drop(again);
    }
}
