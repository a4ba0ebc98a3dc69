//! RDB saving and loading through the real binary: SAVE, SHUTDOWN,
//! start-up loading, DEBUG RELOAD, and files moving between this server
//! and redis-server.

mod common;
use common::*;

use std::time::Duration;

fn start_in(dir: &std::path::Path, extra: &[&str]) -> Server {
    let d = dir.to_string_lossy().into_owned();
    let mut args = vec!["--dir", d.as_str()];
    args.extend_from_slice(extra);
    Server::start(&args)
}

fn wait_exit(s: &mut Server) {
    for _ in 0..100 {
        if let Ok(Some(_)) = s.child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("server did not exit");
}

#[test]
fn save_then_restart_keeps_the_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = start_in(dir.path(), &[]);
    let mut c = s.conn();
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["SET", "b", &"x".repeat(1000), "EX", "100000"]);
    c.cmd(&["SELECT", "3"]);
    c.cmd(&["SET", "c", "in db 3"]);
    c.cmd(&["SET", "gone", "soon", "PX", "1"]);
    std::thread::sleep(Duration::from_millis(5));
    let before = show(&c.cmd(&["LASTSAVE"]));
    assert_eq!(show(&c.cmd(&["SAVE"])), "+OK\\r\\n");
    assert!(dir.path().join("dump.rdb").exists());
    let info = show(&c.cmd(&["INFO", "persistence"]));
    assert!(info.contains("rdb_changes_since_last_save:0"), "{info}");
    assert!(info.contains("rdb_saves:1"), "{info}");
    assert!(!before.is_empty());
    drop(c);
    drop(s);
    let s = start_in(dir.path(), &[]);
    let mut c = s.conn();
    assert_eq!(show(&c.cmd(&["GET", "a"])), "$1\\r\\n1\\r\\n");
    assert_eq!(Value::parse(&c.cmd(&["STRLEN", "b"])).int(), Some(1000));
    let ttl = Value::parse(&c.cmd(&["TTL", "b"])).int().expect("ttl");
    assert!(ttl > 99_000 && ttl <= 100_000, "{ttl}");
    assert_eq!(
        show(&c.cmd(&["OBJECT", "ENCODING", "a"])),
        "$3\\r\\nint\\r\\n"
    );
    c.cmd(&["SELECT", "3"]);
    assert_eq!(show(&c.cmd(&["GET", "c"])), "$7\\r\\nin db 3\\r\\n");
    assert_eq!(show(&c.cmd(&["EXISTS", "gone"])), ":0\\r\\n");
    assert_eq!(show(&c.cmd(&["DBSIZE"])), ":1\\r\\n");
}

#[test]
fn shutdown_saves_with_save_points_and_not_with_nosave() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = start_in(dir.path(), &["--save", "3600 1"]);
    let mut c = s.conn();
    c.cmd(&["SET", "k", "v1"]);
    c.send_raw(&Conn::encode(&[b"SHUTDOWN"]));
    wait_exit(&mut s);
    let mut s = start_in(dir.path(), &["--save", "3600 1"]);
    let mut c = s.conn();
    assert_eq!(show(&c.cmd(&["GET", "k"])), "$2\\r\\nv1\\r\\n");
    c.cmd(&["SET", "k", "v2"]);
    c.send_raw(&Conn::encode(&[b"SHUTDOWN", b"NOSAVE"]));
    wait_exit(&mut s);
    // SHUTDOWN SAVE saves even without save points.
    let mut s = start_in(dir.path(), &[]);
    let mut c = s.conn();
    assert_eq!(show(&c.cmd(&["GET", "k"])), "$2\\r\\nv1\\r\\n");
    c.cmd(&["SET", "k", "v3"]);
    c.send_raw(&Conn::encode(&[b"SHUTDOWN", b"SAVE"]));
    wait_exit(&mut s);
    let s = start_in(dir.path(), &[]);
    assert_eq!(show(&s.conn().cmd(&["GET", "k"])), "$2\\r\\nv3\\r\\n");
}

#[test]
fn debug_reload_and_save_inside_multi() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = start_in(dir.path(), &["--enable-debug-command", "yes"]);
    let mut c = s.conn();
    c.cmd(&["SET", "x", "42"]);
    assert_eq!(show(&c.cmd(&["DEBUG", "RELOAD"])), "+OK\\r\\n");
    assert_eq!(show(&c.cmd(&["GET", "x"])), "$2\\r\\n42\\r\\n");
    c.cmd(&["MULTI"]);
    assert_eq!(
        show(&c.cmd(&["SAVE"])),
        "-ERR Command not allowed inside a transaction\\r\\n"
    );
    assert_eq!(
        show(&c.cmd(&["EXEC"])),
        "-EXECABORT Transaction discarded because of previous errors.\\r\\n"
    );
}

#[test]
fn a_corrupt_dump_stops_the_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("dump.rdb"), b"REDIS0010\xfa\x05junk").expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_valkey-tiered"))
        .args(["--port", "0", "--dir"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert!(!out.status.success());
    let log = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("loading the DB"), "{log}");
}

/// A dump written here loads in redis-server, and redis-server's loads
/// here.
#[test]
fn dump_files_move_between_servers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = start_in(dir.path(), &[]);
    let mut c = s.conn();
    c.cmd(&["SET", "ours", "hello"]);
    c.cmd(&["SET", "n", "12345"]);
    c.cmd(&["SAVE"]);
    drop(c);
    drop(s);
    let d = dir.path().to_string_lossy().into_owned();
    let Some(r) = Server::start_reference(&["--dir", &d]) else {
        return;
    };
    let mut rc = r.conn();
    assert_eq!(show(&rc.cmd(&["GET", "ours"])), "$5\\r\\nhello\\r\\n");
    assert_eq!(
        show(&rc.cmd(&["OBJECT", "ENCODING", "n"])),
        "$3\\r\\nint\\r\\n"
    );
    rc.cmd(&["SET", "theirs", "world"]);
    rc.cmd(&["SAVE"]);
    drop(rc);
    drop(r);
    let s = start_in(dir.path(), &[]);
    let mut c = s.conn();
    assert_eq!(show(&c.cmd(&["GET", "theirs"])), "$5\\r\\nworld\\r\\n");
    assert_eq!(show(&c.cmd(&["GET", "ours"])), "$5\\r\\nhello\\r\\n");
}

fn info_field(c: &mut Conn, field: &str) -> String {
    let info = String::from_utf8_lossy(&c.cmd(&["INFO", "persistence"])).into_owned();
    info.lines()
        .find_map(|l| {
            l.strip_prefix(&format!("{field}:"))
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_default()
}

fn wait_bgsave_done(c: &mut Conn) {
    for _ in 0..600 {
        if info_field(c, "rdb_bgsave_in_progress") == "0" {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("background save did not finish");
}

/// BGSAVE writes the dataset as it was when it started, while clients
/// keep changing it.
#[test]
fn bgsave_is_a_point_in_time_snapshot() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = start_in(dir.path(), &[]);
    let mut c = s.conn();
    let n = 50_000;
    let mut load = Vec::new();
    for i in 0..n {
        load.extend(Conn::encode(&[
            b"SET",
            format!("k{i}").as_bytes(),
            format!("v{i}").as_bytes(),
        ]));
    }
    c.send_raw(&load);
    for _ in 0..n {
        c.read_reply().expect("reply");
    }
    c.cmd(&["SET", "big", &"z".repeat(100_000)]);
    // BGSAVE and, in the same pipeline, changes to everything: they run
    // while the snapshot is being walked.
    let mut changes = Conn::encode(&[b"BGSAVE"]);
    for i in 0..n {
        let k = format!("k{i}");
        match i % 4 {
            0 => changes.extend(Conn::encode(&[b"SET", k.as_bytes(), b"changed"])),
            1 => changes.extend(Conn::encode(&[b"DEL", k.as_bytes()])),
            2 => changes.extend(Conn::encode(&[b"APPEND", k.as_bytes(), b"+"])),
            _ => changes.extend(Conn::encode(&[b"SET", format!("new{i}").as_bytes(), b"x"])),
        }
    }
    changes.extend(Conn::encode(&[b"SWAPDB", b"0", b"5"]));
    changes.extend(Conn::encode(&[b"FLUSHDB"]));
    c.send_raw(&changes);
    assert_eq!(
        show(&c.read_reply().expect("reply")),
        "+Background saving started\\r\\n"
    );
    for _ in 0..n + 2 {
        c.read_reply().expect("reply");
    }
    assert_eq!(show(&c.cmd(&["DBSIZE"])), ":0\\r\\n");
    wait_bgsave_done(&mut c);
    assert_eq!(info_field(&mut c, "rdb_last_bgsave_status"), "ok");
    drop(c);
    drop(s);
    let s = start_in(dir.path(), &[]);
    let mut c = s.conn();
    assert_eq!(Value::parse(&c.cmd(&["DBSIZE"])).int(), Some(n as i64 + 1));
    for i in (0..n).step_by(97) {
        let got = show(&c.cmd(&["GET", &format!("k{i}")]));
        let want = format!("v{i}");
        assert_eq!(got, format!("${}\\r\\n{want}\\r\\n", want.len()), "k{i}");
    }
    assert_eq!(show(&c.cmd(&["EXISTS", "new3"])), ":0\\r\\n");
    c.cmd(&["SELECT", "5"]);
    assert_eq!(show(&c.cmd(&["DBSIZE"])), ":0\\r\\n");
}

#[test]
fn save_points_trigger_a_background_save() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = start_in(dir.path(), &["--save", "1 1"]);
    let mut c = s.conn();
    c.cmd(&["SET", "a", "1"]);
    for _ in 0..100 {
        if info_field(&mut c, "rdb_saves") != "0" {
            wait_bgsave_done(&mut c);
            assert!(dir.path().join("dump.rdb").exists());
            assert_eq!(info_field(&mut c, "rdb_changes_since_last_save"), "0");
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no background save after 10 s with `save 1 1`");
}

/// A big dump loads while clients are answered: INFO shows the progress
/// (`loading:1` and the `loading_*` fields), commands that need the data
/// get `-LOADING`, and everything is there at the end.
#[test]
fn clients_are_answered_while_a_big_dump_loads() {
    use persistence::file::RdbWriter;
    use persistence::object::{Form, Object};
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = 1_500_000;
    let mut w = RdbWriter::new(false, -2);
    w.select_db(0, keys, 0);
    let mut file = Vec::new();
    for i in 0..keys {
        let obj = Object::Str(format!("value-{i}").into_bytes());
        w.entry(format!("key:{i}").as_bytes(), &obj, Form::Compact, None);
        if i % 10_000 == 0 {
            file.extend(w.take());
        }
    }
    file.extend(w.finish(true));
    std::fs::write(dir.path().join("dump.rdb"), &file).expect("write dump");
    let port = free_port();
    /// Killed on drop, also when an assertion fails.
    struct Child(std::process::Child);
    impl Drop for Child {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _child = Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_valkey-tiered"))
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .arg("--dir")
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn"),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let mut c = loop {
        if let Ok(c) = Conn::try_connect(port) {
            break c;
        }
        assert!(std::time::Instant::now() < deadline, "did not listen");
        std::thread::sleep(Duration::from_millis(2));
    };
    let (mut saw_loading, mut saw_refusal) = (false, false);
    loop {
        assert!(
            std::time::Instant::now() < deadline,
            "did not finish loading"
        );
        let info = Value::parse(&c.cmd(&["INFO", "persistence"])).text();
        if info.lines().any(|l| l.trim() == "loading:0") {
            break;
        }
        saw_loading = true;
        let field = |name: &str| -> u64 {
            info.lines()
                .find_map(|l| l.strip_prefix(&format!("{name}:")))
                .and_then(|v| v.trim().split('.').next().map(str::to_string))
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} in {info}"))
        };
        let total = field("loading_total_bytes");
        assert!(total == file.len() as u64 || total == 0, "{info}");
        assert!(field("loading_loaded_bytes") <= file.len() as u64);
        assert!(field("loading_loaded_perc") <= 100);
        let r = show(&c.cmd(&["GET", "key:1"]));
        if r.starts_with("-LOADING") {
            saw_refusal = true;
        } else {
            assert_eq!(r, "$7\\r\\nvalue-1\\r\\n", "answered after the load ended");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(saw_loading && saw_refusal, "the load was not seen");
    assert_eq!(Value::parse(&c.cmd(&["DBSIZE"])).int(), Some(keys as i64));
}
