//! The server binary refuses to start on bad content, saying where the problem is.

use std::process::Command;

fn start_with_content(dir: &std::path::Path) -> (bool, String) {
    let data = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_rmp-server"))
        .env("RMP_CONTENT_DIR", dir)
        .env("RMP_DATA_DIR", data.path())
        .env("RMP_SANDBOX", "none")
        .env("RMP_ADDR", "127.0.0.1:0")
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn broken_front_matter_stops_start_up_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("c")).unwrap();
    std::fs::write(
        dir.path().join("c/course.toml"),
        "title = \"C\"\nsummary = \"\"\norder = 1\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("c/broken.md"),
        "+++\ntitle = \"Broken\"\norder = 1\nminutes = [\nsummary = \"\"\n+++\nBody.\n",
    )
    .unwrap();
    let (ok, stderr) = start_with_content(dir.path());
    assert!(!ok, "the server must not start");
    assert!(
        stderr.contains("error: cannot load the course content"),
        "{stderr}"
    );
    // The unclosed array is only detectable at the next line, where `summary =` cannot be a value.
    assert!(stderr.contains("broken.md:5: front matter:"), "{stderr}");
    assert!(
        !stderr.contains("panicked"),
        "a clear error, not a panic: {stderr}"
    );
}

#[test]
fn a_missing_content_directory_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-content-here");
    let (ok, stderr) = start_with_content(&missing);
    assert!(!ok);
    assert!(
        stderr.contains(&format!("`{}` does not exist", missing.display())),
        "{stderr}"
    );
}
