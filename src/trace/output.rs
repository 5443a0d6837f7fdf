//! Writing output files without surprises: a file replaced in a folder dst manages is replaced
//! by rename (never followed through a symlink, never left half-written, no `*.tmp` left after a
//! failure); a path the user named is written through when it is a symlink, a FIFO or a
//! character device (`/dev/stdout`, `/dev/null`), and refused when it cannot hold a file.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

/// Most symlinks followed from a path the user named.
const SYMLINKS_FOLLOWED_MAX: usize = 40;

/// Writes `bytes` to `path` through a fresh temp file in the same directory and a rename, so
/// readers see the old file or the new one, never a part. Whatever `path` was (a symlink
/// included) is replaced, not followed. On failure the temp file is removed.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir)?;
    }
    let mut temp = path.as_os_str().to_owned();
    temp.push(".tmp");
    let temp = PathBuf::from(temp);
    match fs::remove_file(&temp) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written
}

/// Where a chain of symlinks starting at `path` ends (the end may not exist yet).
fn resolve_symlinks(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..SYMLINKS_FOLLOWED_MAX {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(io::Error::other(format!(
        "more than {SYMLINKS_FOLLOWED_MAX} symlinks from '{}'",
        path.display()
    )))
}

/// Writes `bytes` to a path the user named: a symlink is followed to its target; a FIFO or a
/// character device is opened and written; a regular file (or nothing) is written atomically;
/// a directory, socket or block device is refused with an error saying so.
///
/// What the path is comes from the system's own resolution (so `/dev/stdout`, a link to a pipe
/// with no name, is a FIFO); only a regular file is written next to its resolved name.
pub fn write_output(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let kind = match fs::metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return write_atomically(&resolve_symlinks(path)?, bytes)
        }
        Err(e) => return Err(e),
        Ok(meta) => meta.file_type(),
    };
    if kind.is_file() {
        return write_atomically(&resolve_symlinks(path)?, bytes);
    }
    let target = path;
    if kind.is_fifo() || kind.is_char_device() {
        let mut file = OpenOptions::new().write(true).open(target)?;
        file.write_all(bytes)?;
        return file.flush();
    }
    let what = if kind.is_dir() {
        "a directory"
    } else if kind.is_block_device() {
        "a block device"
    } else {
        "a socket"
    };
    Err(io::Error::other(format!(
        "'{}' is {what}; a trace goes to a file, a FIFO or a character device",
        target.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("dst-output-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_symlink_is_written_through_by_write_output_and_replaced_by_write_atomically() {
        let dir = scratch("symlink");
        let target = dir.join("target.txt");
        fs::write(&target, "old").unwrap();
        let link = dir.join("link.txt");
        std::os::unix::fs::symlink("target.txt", &link).unwrap();
        write_output(&link, b"through").unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "through");
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        write_atomically(&link, b"replaced").unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "through");
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_file());
        assert!(write_output(&dir, b"x")
            .unwrap_err()
            .to_string()
            .contains("a directory"));
        write_output(Path::new("/dev/null"), b"x").unwrap();
        let full = write_output(Path::new("/dev/full"), b"x").unwrap_err();
        assert_eq!(full.raw_os_error(), Some(28), "ENOSPC from /dev/full");
        let leftovers: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }
}
