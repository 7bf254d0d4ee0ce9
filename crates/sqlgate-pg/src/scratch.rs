//! A private PostgreSQL server from the local server binaries: `initdb` + `pg_ctl`
//! into a temporary directory, a free port on 127.0.0.1, a private socket directory,
//! fast settings, and an environment cleared of everything but `PATH`, `LC_ALL` and
//! `TZ` (no token or password of the runner reaches it). Works as root (the server
//! runs as an unprivileged user), and is removed at the end — by `Drop`, and by a
//! watchdog process if this process dies. The test suite and `--scratch auto` use it.

use sqlgate_core::Error;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What to start a server with, besides the defaults.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// Files written into the server's directory (mode 0600, owned by the server),
    /// e.g. a TLS certificate and key.
    pub files: Vec<(String, Vec<u8>)>,
    /// `-c name=value` settings; `{root}` in a value is the server's directory.
    pub settings: Vec<(String, String)>,
}

/// A running throwaway server.
#[derive(Debug)]
pub struct LocalServer {
    root: PathBuf,
    data: PathBuf,
    bin: PathBuf,
    port: u16,
    run_as: Option<(u32, u32)>,
    /// The `pg_ctl -o` options it was started with (a restart reuses them).
    opts: String,
}

/// Where the server binaries (`initdb`, `pg_ctl`, `postgres`) are: `PATH`,
/// `pg_config --bindir`, then the newest `/usr/lib/postgresql/*/bin`.
pub fn find_bin_dir() -> Option<PathBuf> {
    let has_all = |d: &Path| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|b| d.join(b).is_file())
    };
    if let Some(path) = std::env::var_os("PATH") {
        for d in std::env::split_paths(&path) {
            if has_all(&d) {
                return Some(d);
            }
        }
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let d = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if has_all(&d) {
            return Some(d);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            has_all(&bin).then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, b)| b)
}

/// The uid and gid of `postgres` (or else `nobody`), to run the server as when root.
fn unprivileged_user() -> Option<(u32, u32)> {
    for name in [c"postgres", c"nobody"] {
        // SAFETY: getpwnam reads the password database and returns a pointer into
        // static storage, valid until the next call; it is read at once.
        let pw = unsafe { libc::getpwnam(name.as_ptr()) };
        if !pw.is_null() {
            // SAFETY: non-null, so it points at a valid passwd record.
            let pw = unsafe { &*pw };
            return Some((pw.pw_uid, pw.pw_gid));
        }
    }
    None
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn free_port() -> Result<u16, Error> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| Error::Unreachable(format!("no free local port: {e}")))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| Error::Unreachable(format!("no free local port: {e}")))
}

impl LocalServer {
    /// Starts a new server. Fails with a clear message when no server binaries exist.
    pub fn start() -> Result<LocalServer, Error> {
        Self::start_with(&ServerOptions::default())
    }

    /// The server's private directory (its files, socket and log).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Starts a server with extra files in its directory and extra settings.
    pub fn start_with(options: &ServerOptions) -> Result<LocalServer, Error> {
        Self::start_from(options, None)
    }

    /// Starts a server whose data directory is a copy of `saved` (made by
    /// [`LocalServer::save`]) instead of a fresh `initdb`.
    pub fn start_from(options: &ServerOptions, saved: Option<&Path>) -> Result<LocalServer, Error> {
        let bin = find_bin_dir().ok_or_else(|| {
            Error::Unreachable(
                "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found in PATH, `pg_config --bindir` or /usr/lib/postgresql/*/bin: install the server (Debian/Ubuntu: apt-get install postgresql)".into(),
            )
        })?;
        let root = tempfile::Builder::new()
            .prefix("sqlgate-pg-")
            .tempdir()
            .map_err(|e| Error::Io(format!("cannot create a directory for the server: {e}")))?
            .keep();
        let data = root.join("data");
        let sock = root.join("sock");
        for d in [&root, &sock] {
            std::fs::create_dir_all(d)
                .map_err(|e| Error::Io(format!("cannot create {}: {e}", d.display())))?;
        }
        let run_as = if is_root() {
            Some(unprivileged_user().ok_or_else(|| {
                Error::Unreachable("running as root and no unprivileged user (postgres, nobody) to run PostgreSQL as".into())
            })?)
        } else {
            None
        };
        if let Some((uid, gid)) = run_as {
            for d in [&root, &sock] {
                std::os::unix::fs::chown(d, Some(uid), Some(gid)).map_err(|e| {
                    Error::Io(format!(
                        "cannot hand {} to the server user: {e}",
                        d.display()
                    ))
                })?;
            }
        }
        let mut server = LocalServer {
            root,
            data,
            bin,
            port: 0,
            run_as,
            opts: String::new(),
        };
        server.watchdog();
        if let Some(saved) = saved {
            copy_tree(saved, &server.data)?;
            // A saved directory's settings are not trusted: the configuration files
            // are written afresh (no archive or restore command, no preloaded library,
            // local trust only); the command line sets the rest.
            for (file, text) in [
                ("postgresql.conf", ""),
                ("postgresql.auto.conf", ""),
                ("pg_ident.conf", ""),
                (
                    "pg_hba.conf",
                    "local all all trust\nhost all all 127.0.0.1/32 trust\n",
                ),
            ] {
                let path = server.data.join(file);
                std::fs::write(&path, text)
                    .map_err(|e| Error::Io(format!("cannot write {}: {e}", path.display())))?;
                if let Some((uid, gid)) = run_as {
                    let _ = std::os::unix::fs::chown(&path, Some(uid), Some(gid));
                }
            }
        } else {
            server.run(
                "initdb",
                &[
                    "-D",
                    &server.data.display().to_string(),
                    "-U",
                    "sqlgate",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync",
                    "--no-instructions",
                ],
            )?;
        }
        let mut extra = String::new();
        for (name, content) in &options.files {
            let path = server.root.join(name);
            std::fs::write(&path, content)
                .map_err(|e| Error::Io(format!("cannot write {}: {e}", path.display())))?;
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| Error::Io(format!("cannot protect {}: {e}", path.display())))?;
            if let Some((uid, gid)) = run_as {
                std::os::unix::fs::chown(&path, Some(uid), Some(gid))
                    .map_err(|e| Error::Io(format!("cannot hand over {}: {e}", path.display())))?;
            }
        }
        for (name, value) in &options.settings {
            let value = value.replace("{root}", &server.root.display().to_string());
            extra.push_str(&format!(" -c {name}={value}"));
        }
        let mut last = String::new();
        for _ in 0..3 {
            server.port = free_port()?;
            let opts = format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200{extra}",
                server.port,
                sock.display()
            );
            server.opts = opts;
            match server.pg_ctl_start() {
                Ok(()) => return Ok(server),
                Err(e) => last = e.to_string(),
            }
        }
        Err(Error::Unreachable(format!(
            "the local PostgreSQL server did not start: {last}"
        )))
    }

    fn pg_ctl_start(&self) -> Result<(), Error> {
        let log = self.root.join("server.log").display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data.display().to_string(),
                "-l",
                &log,
                "-o",
                &self.opts,
                "-w",
                "-t",
                "60",
                "start",
            ],
        )
    }

    /// The server's major version, from its binaries (`postgres --version`).
    pub fn binaries_major() -> Option<String> {
        let bin = find_bin_dir()?;
        let out = Command::new(bin.join("postgres"))
            .arg("--version")
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let version = text.split_whitespace().last()?;
        Some(version.split('.').next()?.to_string())
    }

    /// Saves the data directory to `to` (a directory that must not exist): the server
    /// stops cleanly, its files are copied, and it starts again on the same port.
    pub fn save(&self, to: &Path) -> Result<(), Error> {
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data.display().to_string(),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        )?;
        let copied = copy_tree(&self.data, to);
        self.pg_ctl_start()?;
        copied
    }

    fn run(&self, tool: &str, args: &[&str]) -> Result<(), Error> {
        let mut cmd = Command::new(self.bin.join(tool));
        // The server gets nothing of this process's environment (tokens, database
        // URLs): only what PostgreSQL needs to run.
        cmd.args(args)
            .stdin(Stdio::null())
            .current_dir(&self.root)
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("LC_ALL", "C")
            .env("TZ", "UTC");
        use std::os::unix::process::CommandExt;
        if let Some((uid, gid)) = self.run_as {
            cmd.uid(uid).gid(gid);
        }
        // A process group of its own (the postmaster inherits it from pg_ctl): a
        // signal to this job's group (a cancelled workflow) does not reach the server
        // half-way; the watchdog stops it as a whole.
        cmd.process_group(0);
        let out = cmd
            .output()
            .map_err(|e| Error::Unreachable(format!("cannot run {tool}: {e}")))?;
        if out.status.success() {
            Ok(())
        } else {
            let log = std::fs::read_to_string(self.root.join("server.log")).unwrap_or_default();
            Err(Error::Unreachable(format!(
                "{tool} failed: {}{}\n{}",
                String::from_utf8_lossy(&out.stderr).trim(),
                String::from_utf8_lossy(&out.stdout).trim(),
                log.lines().rev().take(5).collect::<Vec<_>>().join("\n")
            )))
        }
    }

    /// Stops the server and removes its directory even if this process is killed by
    /// any signal: the watchdog is a process of its own group, so the signal that
    /// ends this process's group (SIGTERM or SIGKILL to a cancelled job) does not end
    /// it; it sees this process gone within a second and shuts the server down
    /// immediately (SIGQUIT: every session ends, a running query too).
    fn watchdog(&self) {
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
             if [ -f '{data}/postmaster.pid' ]; then kill -QUIT $(head -1 '{data}/postmaster.pid') 2>/dev/null; \
               n=0; while [ -f '{data}/postmaster.pid' ] && [ $n -lt 20 ]; do sleep 0.5; n=$((n+1)); done; fi; \
             rm -rf '{root}'",
            pid = std::process::id(),
            data = self.data.display(),
            root = self.root.display()
        );
        use std::os::unix::process::CommandExt;
        let _ = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn();
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A connection URL for `database` (superuser `sqlgate`, trust auth).
    pub fn url(&self, database: &str) -> String {
        format!("postgres://sqlgate@127.0.0.1:{}/{database}", self.port)
    }
}

/// Copies a directory with its modes and owners (`cp -a`): a data directory must stay
/// the server user's and private.
fn copy_tree(from: &Path, to: &Path) -> Result<(), Error> {
    let out = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .output()
        .map_err(|e| Error::Io(format!("cannot run cp: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(Error::Io(format!(
            "cannot copy {} to {}: {}",
            from.display(),
            to.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        let _ = self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data.display().to_string(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
