//! The GitHub Action's own files: inputs reach the binary only through `env:`, the
//! documented inputs and outputs exist, and the installer verifies the release
//! archive's SHA-256 (served over real HTTP) before using it.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn yaml_files() -> Vec<PathBuf> {
    let mut files = vec![root().join("action.yml")];
    for dir in [".github/workflows", ".github/workflows/examples"] {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
            .collect();
        entries.sort();
        files.extend(entries);
    }
    files
}

/// The text of every `run:` script (inline or block) in a YAML file.
fn run_scripts(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        let trimmed = l.trim_start().trim_start_matches("- ");
        if let Some(rest) = trimmed.strip_prefix("run:") {
            let indent = l.len() - l.trim_start().len();
            let mut script = rest.trim().to_string();
            if script == "|" || script == ">" || script == "|-" || script == ">-" {
                script.clear();
                i += 1;
                while i < lines.len()
                    && (lines[i].trim().is_empty()
                        || lines[i].len() - lines[i].trim_start().len() > indent)
                {
                    script.push_str(lines[i]);
                    script.push('\n');
                    i += 1;
                }
                out.push(script);
                continue;
            }
            out.push(script);
        }
        i += 1;
    }
    out
}

#[test]
fn no_expression_is_interpolated_into_shell_text() {
    let files = yaml_files();
    assert!(
        files.len() >= 6,
        "action.yml, ci, release and three examples: {files:?}"
    );
    let mut scripts = 0;
    for f in &files {
        for s in run_scripts(&read(f)) {
            scripts += 1;
            assert!(
                !s.contains("${{"),
                "{}: a run: script interpolates an expression (script injection risk): {s}",
                f.display()
            );
        }
    }
    assert!(scripts >= 8, "found only {scripts} run: scripts");
}

#[test]
fn action_declares_the_documented_inputs_and_outputs() {
    let text = read(&root().join("action.yml"));
    assert!(text.contains("using: composite"));
    for input in [
        "command",
        "dir",
        "database-url",
        "github-token",
        "config",
        "fail-on",
        "comment",
        "environment",
        "version",
    ] {
        assert!(
            text.contains(&format!("\n  {input}:\n")),
            "input `{input}` missing"
        );
        assert!(
            text.contains(&format!("${{{{ inputs.{input} }}}}")),
            "input `{input}` is not passed to sqlgate through env:"
        );
    }
    assert!(text.contains("default: ${{ github.token }}"));
    for output in ["errors", "warnings", "applied", "pending", "report"] {
        assert!(
            text.contains(&format!("${{{{ steps.run.outputs.{output} }}}}")),
            "output `{output}` missing"
        );
    }
    // Every workflow says what its token may do.
    for f in yaml_files().iter().skip(1) {
        assert!(read(f).contains("permissions:"), "{}", f.display());
    }
    let pr = read(&root().join(".github/workflows/examples/sqlgate-pull-request.yml"));
    assert!(pr.contains("pull-requests: write") && pr.contains("fetch-depth"));
}

/// Serves `files` (name → bytes) over HTTP on a local port; returns the port.
fn serve(files: Vec<(String, Vec<u8>)>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(match stream.try_clone() {
                Ok(s) => s,
                Err(_) => continue,
            });
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).map(|n| n == 0).unwrap_or(true) || h.trim().is_empty() {
                    break;
                }
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
            let mut w = stream;
            match files
                .iter()
                .find(|(name, _)| path.ends_with(&format!("/{name}")))
            {
                Some((_, body)) => {
                    let _ = write!(
                        w,
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = w.write_all(body);
                }
                None => {
                    let _ = write!(
                        w,
                        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    );
                }
            }
        }
    });
    port
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn installer_verifies_the_release_checksum() {
    if Command::new("curl").arg("--version").output().is_err() {
        panic!("curl is needed by the action's installer and by this test");
    }
    let work = tempfile::tempdir().expect("tempdir");
    let stage = work.path().join("stage");
    std::fs::create_dir_all(&stage).expect("mkdir");
    // A stand-in for the release binary (the real one is hundreds of MB in debug).
    std::fs::write(stage.join("sqlgate"), "#!/bin/sh\necho 'sqlgate 9.9.9'\n").expect("write");
    let target = "x86_64-unknown-linux-gnu";
    let asset = format!("sqlgate-v9.9.9-{target}.tar.gz");
    let archive = work.path().join(&asset);
    let ok = Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(&stage)
        .arg("sqlgate")
        .status()
        .expect("tar");
    assert!(ok.success());
    let bytes = std::fs::read(&archive).expect("archive");
    let good = sha256_hex(&bytes);
    let sidecar = format!("{good}  {asset}\n").into_bytes();
    let port = serve(vec![
        (asset.clone(), bytes.clone()),
        (format!("{asset}.sha256"), sidecar),
    ]);

    let install = |sha: Option<&str>, tmp: &Path| {
        let output = tmp.join("output");
        let mut c = installer();
        c.env("SQLGATE_VERSION", "v9.9.9")
            .env("GITHUB_ACTION_REPOSITORY", "sqlgate/sqlgate")
            .env("GITHUB_SERVER_URL", format!("http://127.0.0.1:{port}"))
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("RUNNER_TEMP", tmp)
            .env("GITHUB_OUTPUT", &output);
        if let Some(s) = sha {
            c.env("SQLGATE_SHA256", s);
        }
        let out = c.output().expect("bash runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            std::fs::read_to_string(&output).unwrap_or_default(),
        )
    };

    // The release's own checksum file.
    let t1 = tempfile::tempdir().expect("tempdir");
    let (code, stdout, output) = install(None, t1.path());
    assert_eq!(code, 0, "{stdout}");
    let path = output
        .trim()
        .strip_prefix("path=")
        .expect("path output")
        .to_string();
    let v = Command::new(&path)
        .arg("--version")
        .output()
        .expect("installed binary runs");
    assert!(String::from_utf8_lossy(&v.stdout).contains("sqlgate"));

    // A pinned checksum that matches (upper case is fine), and one that does not.
    let t2 = tempfile::tempdir().expect("tempdir");
    let (code, stdout, _) = install(Some(&good.to_uppercase()), t2.path());
    assert_eq!(code, 0, "{stdout}");
    let t3 = tempfile::tempdir().expect("tempdir");
    let (code, stdout, output) = install(Some(&"0".repeat(64)), t3.path());
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("::error title=sqlgate install::SHA-256 mismatch"),
        "{stdout}"
    );
    assert!(output.is_empty(), "no binary is handed on: {output}");
    assert!(!t3
        .path()
        .join(format!("sqlgate-v9.9.9-{target}/sqlgate"))
        .exists());

    // Inputs are validated before anything is fetched.
    let t4 = tempfile::tempdir().expect("tempdir");
    let out = installer()
        .env("SQLGATE_VERSION", "v1; rm -rf /")
        .env("RUNNER_TEMP", t4.path())
        .output()
        .expect("bash");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("cannot have"));
}

/// A release archive of a stand-in binary that prints its version, and its checksum
/// file: (name, bytes) pairs for [`serve`].
fn release(dir: &Path, tag: &str) -> Vec<(String, Vec<u8>)> {
    let stage = dir.join(format!("stage-{tag}"));
    std::fs::create_dir_all(&stage).expect("mkdir");
    std::fs::write(
        stage.join("sqlgate"),
        format!("#!/bin/sh\necho 'sqlgate {tag}'\n"),
    )
    .expect("write");
    let asset = format!("sqlgate-{tag}-x86_64-unknown-linux-gnu.tar.gz");
    let archive = dir.join(&asset);
    let ok = Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(&stage)
        .arg("sqlgate")
        .status()
        .expect("tar");
    assert!(ok.success());
    let bytes = std::fs::read(&archive).expect("archive");
    let sum = format!("{}  {asset}\n", sha256_hex(&bytes));
    vec![
        (format!("download/{tag}/{asset}"), bytes),
        (format!("download/{tag}/{asset}.sha256"), sum.into_bytes()),
    ]
}

#[test]
fn every_documented_pin_installs_a_verified_release() {
    let work = tempfile::tempdir().expect("tempdir");
    let mut files = Vec::new();
    for tag in ["v1.2.3", "v1.10.0", "v2.0.0"] {
        files.extend(release(work.path(), tag));
    }
    // The releases API: v1's newest is v1.10.0 (numbers, not text, order it); a
    // pre-release and a draft of the line are skipped.
    let listing = serde_json::json!([
        {"tag_name": "v2.0.0", "draft": false, "prerelease": false},
        {"tag_name": "v1.11.0-rc.1", "draft": false, "prerelease": true},
        {"tag_name": "v1.12.0", "draft": true, "prerelease": false},
        {"tag_name": "v1.10.0", "draft": false, "prerelease": false},
        {"tag_name": "v1.2.3", "draft": false, "prerelease": false},
        {"tag_name": "v1.9.9", "draft": false, "prerelease": false}
    ]);
    files.push((
        "repos/sqlgate/sqlgate/releases?per_page=100".into(),
        listing.to_string().into_bytes(),
    ));
    let port = serve(files);
    // A checkout of the action at a commit: its Cargo.toml records the version.
    let checkout = work.path().join("action");
    std::fs::create_dir_all(&checkout).expect("mkdir");
    std::fs::write(
        checkout.join("Cargo.toml"),
        "[workspace.package]\nversion = \"1.2.3\"\n",
    )
    .expect("write");
    let install = |action_ref: &str| {
        let tmp = tempfile::tempdir().expect("tempdir");
        let output = tmp.path().join("output");
        let out = installer()
            .env("GITHUB_ACTION_REF", action_ref)
            .env("GITHUB_ACTION_PATH", &checkout)
            .env("GITHUB_ACTION_REPOSITORY", "sqlgate/sqlgate")
            .env("GITHUB_SERVER_URL", format!("http://127.0.0.1:{port}"))
            .env("GITHUB_API_URL", format!("http://127.0.0.1:{port}/api/v3"))
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("RUNNER_TEMP", tmp.path())
            .env("GITHUB_OUTPUT", &output)
            .output()
            .expect("bash runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(out.status.code(), Some(0), "@{action_ref}: {stdout}");
        let path = std::fs::read_to_string(&output).expect("output");
        let path = path
            .trim()
            .strip_prefix("path=")
            .expect("path=")
            .to_string();
        let ran = Command::new(&path)
            .output()
            .expect("the installed binary runs");
        (
            String::from_utf8_lossy(&ran.stdout).trim().to_string(),
            stdout,
        )
    };
    let (v, said) = install("v1");
    assert_eq!(v, "sqlgate v1.10.0", "{said}");
    assert!(said.contains("v1 resolves to v1.10.0"), "{said}");
    assert_eq!(install("v1.2").0, "sqlgate v1.2.3");
    assert_eq!(install("v1.2.3").0, "sqlgate v1.2.3");
    assert_eq!(install("v2").0, "sqlgate v2.0.0");
    let (v, said) = install("0123456789abcdef0123456789abcdef01234567");
    assert_eq!(
        v, "sqlgate v1.2.3",
        "a SHA installs the version its checkout records: {said}"
    );
    assert!(!said.contains("cargo"), "nothing is built: {said}");
    assert_eq!(install("main").0, "sqlgate v1.2.3");

    // A line with no release says so and installs nothing.
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = installer()
        .env("GITHUB_ACTION_REF", "v3")
        .env("GITHUB_ACTION_REPOSITORY", "sqlgate/sqlgate")
        .env("GITHUB_SERVER_URL", format!("http://127.0.0.1:{port}"))
        .env("GITHUB_API_URL", format!("http://127.0.0.1:{port}/api/v3"))
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64")
        .env("RUNNER_TEMP", tmp.path())
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("no release of sqlgate/sqlgate matches v3"),
        "{stdout}"
    );
}

#[test]
fn installer_refuses_a_link_in_the_archive() {
    let work = tempfile::tempdir().expect("tempdir");
    let stage = work.path().join("stage");
    std::fs::create_dir_all(&stage).expect("mkdir");
    let proof = work.path().join("ran");
    std::fs::write(
        stage.join("payload.sh"),
        format!("#!/bin/sh\ntouch '{}'\n", proof.display()),
    )
    .expect("write");
    std::os::unix::fs::symlink("payload.sh", stage.join("sqlgate")).expect("symlink");
    let asset = "sqlgate-v9.9.8-x86_64-unknown-linux-gnu.tar.gz".to_string();
    let archive = work.path().join(&asset);
    let ok = Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(&stage)
        .args(["sqlgate", "payload.sh"])
        .status()
        .expect("tar");
    assert!(ok.success());
    let bytes = std::fs::read(&archive).expect("archive");
    let sum = sha256_hex(&bytes);
    let port = serve(vec![
        (asset.clone(), bytes),
        (
            format!("{asset}.sha256"),
            format!("{sum}  {asset}\n").into_bytes(),
        ),
    ]);
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = installer()
        .env("SQLGATE_VERSION", "v9.9.8")
        .env("GITHUB_ACTION_REPOSITORY", "sqlgate/sqlgate")
        .env("GITHUB_SERVER_URL", format!("http://127.0.0.1:{port}"))
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64")
        .env("RUNNER_TEMP", tmp.path())
        .env("SQLGATE_SHA256", &sum)
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("not a regular file"), "{stdout}");
    assert!(!proof.exists(), "the linked file ran");
}

/// `bash scripts/action-install.sh` with none of the runner's own `GITHUB_*`, `RUNNER_*`
/// or `SQLGATE_*` variables, so the test sees only what it sets (also under CI).
fn installer() -> Command {
    let mut c = Command::new("bash");
    c.arg(root().join("scripts/action-install.sh"));
    for (k, _) in std::env::vars() {
        if k.starts_with("GITHUB_") || k.starts_with("RUNNER_") || k.starts_with("SQLGATE_") {
            c.env_remove(k);
        }
    }
    c
}
