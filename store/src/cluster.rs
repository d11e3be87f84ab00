//! An embedded PostgreSQL cluster, for running without `DATABASE_URL` and for tests.
//!
//! It uses the machine's PostgreSQL server binaries (Debian's `postgresql` package):
//! `initdb` once, then `postgres` listening only on a Unix socket inside the data
//! folder (no TCP port, so parallel runs never clash), stopped with `pg_ctl stop`.
//! PostgreSQL refuses to run as root, so when we are root the cluster's processes run
//! as the `postgres` user and the folder is given to it.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::postgres::PgConnectOptions;
use sqlx::Connection;

/// Why the embedded cluster could not start.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "PostgreSQL server binaries (initdb, postgres, pg_ctl) were not found. Install them with \
         `apt-get install postgresql`, set PORTCULLIS_PG_BIN to their folder, or set DATABASE_URL to use another server."
    )]
    BinariesMissing,
    #[error("running as root, but there is no `postgres` user to run the embedded PostgreSQL as (install the `postgresql` package)")]
    NoPostgresUser,
    #[error("{step} failed: {detail}")]
    Command { step: &'static str, detail: String },
    #[error("the embedded PostgreSQL did not become ready within {0:?}; see {1}")]
    NotReady(Duration, PathBuf),
    #[error("file system: {0}")]
    Io(#[from] std::io::Error),
}

/// A running cluster; stopped when dropped.
pub struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    socket_dir: PathBuf,
    run_as: Option<(u32, u32)>,
    child: Option<Child>,
}

/// The database user the embedded cluster is created with.
pub const SUPERUSER: &str = "portcullis";

/// Where the cluster of a data folder lives: `DATA/postgres`, unless we run as root
/// and the `postgres` user cannot reach that folder (a private home such as
/// `/root/portcullis`, mode 0700). Then it lives under `/var/lib/portcullis/`, in a
/// folder named after the data folder's path, and the second value says so for the
/// log.
pub fn location(data_dir: &Path) -> Result<(PathBuf, Option<String>), ClusterError> {
    std::fs::create_dir_all(data_dir)?;
    let data_dir = data_dir.canonicalize()?;
    let inside = data_dir.join("postgres");
    if !is_root() {
        return Ok((inside, None));
    }
    let (uid, gid) = postgres_user()?;
    if reachable_by(&data_dir, uid, gid) {
        return Ok((inside, None));
    }
    let outside = PathBuf::from("/var/lib/portcullis").join(format!(
        "{}-{:016x}",
        data_dir
            .file_name()
            .map(|n| n
                .to_string_lossy()
                .replace(|c: char| !c.is_ascii_alphanumeric(), "_"))
            .unwrap_or_default(),
        fnv1a(data_dir.as_os_str().as_encoded_bytes())
    ));
    std::fs::create_dir_all(&outside)?;
    std::fs::set_permissions(
        "/var/lib/portcullis",
        std::fs::Permissions::from_mode(0o711),
    )?;
    let note = format!(
        "the data folder {} is not reachable by the postgres user, so the embedded PostgreSQL keeps its files in {}",
        data_dir.display(),
        outside.display()
    );
    Ok((outside, Some(note)))
}

/// Whether every folder from `/` down to `dir` lets `uid`/`gid` through.
fn reachable_by(dir: &Path, uid: u32, gid: u32) -> bool {
    use std::os::unix::fs::MetadataExt;
    dir.ancestors()
        .all(|folder| match std::fs::metadata(folder) {
            Ok(meta) => {
                let mode = meta.mode();
                (meta.uid() == uid && mode & 0o100 != 0)
                    || (meta.gid() == gid && mode & 0o010 != 0)
                    || mode & 0o001 != 0
            }
            Err(_) => false,
        })
}

/// A stable name for a path (not a secret): 64-bit FNV-1a.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl Cluster {
    /// Finds the server binaries: `PORTCULLIS_PG_BIN`, else the newest
    /// `/usr/lib/postgresql/*/bin`, else `pg_config --bindir`.
    pub fn find_binaries() -> Result<PathBuf, ClusterError> {
        let has_server =
            |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
        if let Ok(dir) = std::env::var("PORTCULLIS_PG_BIN") {
            let dir = PathBuf::from(dir);
            return if has_server(&dir) {
                Ok(dir)
            } else {
                Err(ClusterError::BinariesMissing)
            };
        }
        let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let version = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
                let bin = entry.path().join("bin");
                has_server(&bin).then_some((version, bin))
            })
            .collect();
        versions.sort();
        if let Some((_, bin)) = versions.pop() {
            return Ok(bin);
        }
        let output = Command::new("pg_config").arg("--bindir").output();
        if let Ok(output) = output {
            let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
            if has_server(&dir) {
                return Ok(dir);
            }
        }
        Err(ClusterError::BinariesMissing)
    }

    /// Starts (creating on first use) the cluster in `dir`.
    pub fn start(dir: &Path) -> Result<Cluster, ClusterError> {
        let bin = Cluster::find_binaries()?;
        std::fs::create_dir_all(dir)?;
        let dir = dir.canonicalize()?;
        let data = dir.join("pgdata");
        let socket_dir = dir.join("socket");
        std::fs::create_dir_all(&socket_dir)?;
        let run_as = if is_root() {
            Some(postgres_user()?)
        } else {
            None
        };
        if let Some((uid, gid)) = run_as {
            // The postgres user needs to reach the folder and own what it writes.
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o711))?;
            chown_tree(&socket_dir, uid, gid)?;
            if data.exists() {
                chown_tree(&data, uid, gid)?;
            }
        }
        let mut cluster = Cluster {
            bin,
            data,
            socket_dir,
            run_as,
            child: None,
        };
        if !cluster.data.join("PG_VERSION").exists() {
            cluster.init()?;
        }
        if cluster.is_ready() {
            // Already running (a test run sharing the cluster): attach, and leave it
            // running when we are done.
            return Ok(cluster);
        }
        cluster.launch()?;
        Ok(cluster)
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bin.join(program));
        if let Some((uid, gid)) = self.run_as {
            command.uid(uid).gid(gid);
        }
        command.stdin(Stdio::null());
        command
    }

    fn init(&self) -> Result<(), ClusterError> {
        if let Some((uid, gid)) = self.run_as {
            std::fs::create_dir_all(&self.data)?;
            chown_tree(&self.data, uid, gid)?;
        }
        let output = self
            .command("initdb")
            .arg("-D")
            .arg(&self.data)
            .args([
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-instructions",
            ])
            .output()?;
        if !output.status.success() {
            return Err(ClusterError::Command {
                step: "initdb",
                detail: String::from_utf8_lossy(&output.stderr).into_owned(),
            });
        }
        Ok(())
    }

    fn is_ready(&self) -> bool {
        self.socket_dir.join(".s.PGSQL.5432").exists()
            && self
                .command("pg_isready")
                .arg("-h")
                .arg(&self.socket_dir)
                .args(["-U", SUPERUSER, "-q"])
                .status()
                .is_ok_and(|s| s.success())
    }

    fn launch(&mut self) -> Result<(), ClusterError> {
        let log = self.data.join("server.log");
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)?;
        if let Some((uid, gid)) = self.run_as {
            std::os::unix::fs::chown(&log, Some(uid), Some(gid))?;
        }
        let child = self
            .command("postgres")
            .arg("-D")
            .arg(&self.data)
            .arg("-k")
            .arg(&self.socket_dir)
            .args([
                "-c",
                "listen_addresses=",
                "-c",
                "unix_socket_permissions=0700",
                "-c",
                "max_connections=200",
                "-c",
                "fsync=on",
                // Imports write gigabytes of line items: fewer forced checkpoints
                // and room for their WAL.
                "-c",
                "max_wal_size=4GB",
                "-c",
                "wal_buffers=16MB",
                // The embedded cluster has no replicas and no WAL archive, so it
                // logs only what crash recovery needs: a billing period's partition
                // made by the import that fills it is then written once, not twice.
                "-c",
                "wal_level=minimal",
                "-c",
                "max_wal_senders=0",
                "-c",
                "shared_buffers=256MB",
            ])
            .stdout(Stdio::from(log_file.try_clone()?))
            .stderr(Stdio::from(log_file))
            .spawn()?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.is_ready() {
                return Ok(());
            }
            if let Some(child) = &mut self.child {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(ClusterError::Command {
                        step: "postgres",
                        detail: format!("exited with {status}; see {}", log.display()),
                    });
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(ClusterError::NotReady(Duration::from_secs(30), log))
    }

    /// Connection options for a database in this cluster.
    pub fn options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.socket_dir)
            .username(SUPERUSER)
            .database(database)
    }

    /// Creates `database` if it does not exist yet.
    pub async fn ensure_database(&self, database: &str) -> Result<(), sqlx::Error> {
        let mut conn = sqlx::PgConnection::connect_with(&self.options("postgres")).await?;
        let exists: Option<i32> =
            sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
                .bind(database)
                .fetch_optional(&mut conn)
                .await?;
        if exists.is_none() {
            sqlx::query(&format!(
                "CREATE DATABASE \"{}\"",
                database.replace('"', "")
            ))
            .execute(&mut conn)
            .await?;
        }
        conn.close().await
    }

    /// Stops the server (fast shutdown: sessions end, data is flushed).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = self
                .command("pg_ctl")
                .arg("stop")
                .arg("-D")
                .arg(&self.data)
                .args(["-m", "fast", "-w", "-s"])
                .status();
            let _ = child.wait();
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}

fn is_root() -> bool {
    // Files we create are owned by our uid; no libc call needed.
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

fn postgres_user() -> Result<(u32, u32), ClusterError> {
    let passwd = std::fs::read_to_string("/etc/passwd")?;
    passwd
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            match fields.as_slice() {
                ["postgres", _, uid, gid, ..] => Some((uid.parse().ok()?, gid.parse().ok()?)),
                _ => None,
            }
        })
        .ok_or(ClusterError::NoPostgresUser)
}

/// Gives `path` and all under it to `uid:gid`. What vanishes on the way is skipped:
/// a cluster already running (another server or test process sharing the folder)
/// removes its temporary files while the tree is walked, and failing on one of them
/// failed the start.
fn chown_tree(path: &Path, uid: u32, gid: u32) -> std::io::Result<()> {
    let owned: std::io::Result<()> = (|| {
        std::os::unix::fs::chown(path, Some(uid), Some(gid))?;
        if path.is_dir() {
            for entry in std::fs::read_dir(path)? {
                chown_tree(&entry?.path(), uid, gid)?;
            }
        }
        Ok(())
    })();
    match owned {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// A fresh, migrated database for one test, in a cluster shared by the test run
/// (`PORTCULLIS_TEST_PG_DIR`, default `target/test-pg`), started on first use and left
/// running for the next test binary; the test command stops it at the end.
pub async fn test_database() -> Result<PgConnectOptions, Box<dyn std::error::Error + Send + Sync>> {
    use std::sync::OnceLock;
    static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
    let dir = std::env::var("PORTCULLIS_TEST_PG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-pg"));
    let cluster = CLUSTER
        .get_or_init(|| Cluster::start(&dir).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| e.clone())?;
    let name = format!("test_{}", crate::ids::unique_id("").to_lowercase());
    cluster.ensure_database(&name).await?;
    let options = cluster.options(&name);
    let mut conn = sqlx::PgConnection::connect_with(&options).await?;
    crate::MIGRATOR.run(&mut conn).await?;
    conn.close().await?;
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    /// A file removed between listing its folder and owning it is skipped, not an
    /// error; anything else still is.
    #[test]
    fn owning_a_tree_skips_what_vanishes() {
        let dir = std::env::temp_dir().join(format!("chown-tree-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).expect("a folder");
        std::fs::write(dir.join("sub/file"), b"x").expect("a file");
        let me = std::fs::metadata(&dir).expect("metadata");
        let (uid, gid) = (me.uid(), me.gid());
        assert!(chown_tree(&dir, uid, gid).is_ok());
        assert!(
            chown_tree(&dir.join("sub/gone"), uid, gid).is_ok(),
            "vanished"
        );
        std::fs::remove_dir_all(&dir).expect("cleaned up");
        assert!(
            chown_tree(&dir, uid, gid).is_ok(),
            "the whole tree vanished"
        );
        if !is_root() {
            // Giving a file away is refused to anyone but root.
            let file = std::env::temp_dir().join(format!("chown-file-{}", std::process::id()));
            std::fs::write(&file, b"x").expect("a file");
            assert!(chown_tree(&file, 0, 0).is_err());
            std::fs::remove_file(&file).expect("cleaned up");
        }
    }
}
