//! A private PostgreSQL server from the local server binaries: `initdb` + `pg_ctl`
//! into a temporary directory, a free port on 127.0.0.1, a private socket directory,
//! fast settings. Works as root (the server runs as an unprivileged user), and is
//! removed at the end — by `Drop`, and by a watchdog process if this process dies.
//! The test suite and `--scratch auto` use it.

use crate::error::Error;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A running throwaway server.
#[derive(Debug)]
pub struct LocalServer {
    root: PathBuf,
    data: PathBuf,
    bin: PathBuf,
    port: u16,
    run_as: Option<(u32, u32)>,
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

fn unprivileged_user() -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    for name in ["postgres", "nobody"] {
        for line in passwd.lines() {
            let f: Vec<&str> = line.split(':').collect();
            if f.len() > 3 && f[0] == name {
                if let (Ok(uid), Ok(gid)) = (f[2].parse(), f[3].parse()) {
                    return Some((uid, gid));
                }
            }
        }
    }
    None
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
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
        Self::start_inner(false)
    }

    /// Starts a server that also accepts TLS, with a certificate for `localhost`
    /// signed by a throwaway CA (made with `openssl`); [`LocalServer::certificate`]
    /// is the CA's path.
    pub fn start_with_tls() -> Result<LocalServer, Error> {
        Self::start_inner(true)
    }

    /// The CA certificate (PEM) that signed a TLS server's certificate.
    pub fn certificate(&self) -> PathBuf {
        self.root.join("ca.crt")
    }

    fn start_inner(tls: bool) -> Result<LocalServer, Error> {
        let bin = find_bin_dir().ok_or_else(|| {
            Error::Unreachable(
                "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found in PATH, `pg_config --bindir` or /usr/lib/postgresql/*/bin: install the server (Debian/Ubuntu: apt-get install postgresql)".into(),
            )
        })?;
        let root =
            std::env::temp_dir().join(format!("sqlgate-pg-{}-{}", std::process::id(), unique()));
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
        };
        server.watchdog();
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
        let mut tls_opts = String::new();
        if tls {
            let (crt, key) = (
                server.root.join("server.crt"),
                server.root.join("server.key"),
            );
            let r = &server.root;
            std::fs::write(
                r.join("leaf.ext"),
                "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n",
            )
            .map_err(|e| Error::Io(format!("cannot write the certificate extensions: {e}")))?;
            // A CA, and a server certificate for `localhost` that it signs.
            let steps: [Vec<&str>; 3] = [
                vec![
                    "req",
                    "-x509",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-days",
                    "2",
                    "-subj",
                    "/CN=sqlgate-test-ca",
                    "-keyout",
                    "ca.key",
                    "-out",
                    "ca.crt",
                ],
                vec![
                    "req",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-subj",
                    "/CN=localhost",
                    "-keyout",
                    "server.key",
                    "-out",
                    "server.csr",
                ],
                vec![
                    "x509",
                    "-req",
                    "-in",
                    "server.csr",
                    "-CA",
                    "ca.crt",
                    "-CAkey",
                    "ca.key",
                    "-CAcreateserial",
                    "-days",
                    "2",
                    "-extfile",
                    "leaf.ext",
                    "-out",
                    "server.crt",
                ],
            ];
            for args in steps {
                let out = Command::new("openssl")
                    .args(&args)
                    .current_dir(r)
                    .output()
                    .map_err(|e| {
                        Error::Unreachable(format!("openssl is needed for a TLS test server: {e}"))
                    })?;
                if !out.status.success() {
                    return Err(Error::Unreachable(format!(
                        "openssl failed: {}",
                        String::from_utf8_lossy(&out.stderr)
                    )));
                }
            }
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| Error::Io(format!("cannot protect the key: {e}")))?;
            if let Some((uid, gid)) = run_as {
                for f in [&crt, &key] {
                    std::os::unix::fs::chown(f, Some(uid), Some(gid))
                        .map_err(|e| Error::Io(format!("cannot hand over {}: {e}", f.display())))?;
                }
            }
            tls_opts = format!(
                " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                crt.display(),
                key.display()
            );
        }
        let mut last = String::new();
        for _ in 0..3 {
            server.port = free_port()?;
            let opts = format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200{tls_opts}",
                server.port,
                sock.display()
            );
            let log = server.root.join("server.log").display().to_string();
            match server.run(
                "pg_ctl",
                &[
                    "-D",
                    &server.data.display().to_string(),
                    "-l",
                    &log,
                    "-o",
                    &opts,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
            ) {
                Ok(()) => return Ok(server),
                Err(e) => last = e.to_string(),
            }
        }
        Err(Error::Unreachable(format!(
            "the local PostgreSQL server did not start: {last}"
        )))
    }

    fn run(&self, tool: &str, args: &[&str]) -> Result<(), Error> {
        let mut cmd = Command::new(self.bin.join(tool));
        cmd.args(args).stdin(Stdio::null()).current_dir(&self.root);
        if let Some((uid, gid)) = self.run_as {
            use std::os::unix::process::CommandExt;
            cmd.uid(uid).gid(gid);
        }
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

    /// Stops the server and removes its directory even if this process is killed.
    fn watchdog(&self) {
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
             if [ -f '{data}/postmaster.pid' ]; then kill -QUIT $(head -1 '{data}/postmaster.pid') 2>/dev/null; sleep 1; fi; \
             rm -rf '{root}'",
            pid = std::process::id(),
            data = self.data.display(),
            root = self.root.display()
        );
        let _ = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
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

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    t ^ N.fetch_add(1, Ordering::Relaxed)
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
