//! docs/compatibility.md must say exactly which commands this server has:
//! every command and subcommand it lists in `COMMAND LIST` is marked
//! `supported` there, every command marked `supported` exists, and every
//! command marked `not yet` answers `-ERR unknown command` (or, for a
//! subcommand, `unknown subcommand`).

mod common;
use common::*;

use std::collections::BTreeSet;

fn doc_rows() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/compatibility.md"
    ))
    .expect("docs/compatibility.md");
    text.lines()
        .filter_map(|l| {
            // | `name` | status | notes |   (names may contain '|')
            let rest = l.strip_prefix("| `")?;
            let end = rest.find("` |")?;
            let name = rest[..end].to_ascii_lowercase();
            let status = rest[end + 3..].split('|').next()?.trim().to_string();
            Some((name, status))
        })
        .collect()
}

#[test]
fn compatibility_doc_matches_the_command_table() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let list = c.cmd(&["COMMAND", "LIST"]);
    let ours: BTreeSet<String> = array_items(&list)
        .unwrap()
        .iter()
        .map(|f| {
            let t = String::from_utf8_lossy(f).to_string();
            t.split("\r\n").nth(1).unwrap().to_ascii_lowercase()
        })
        .collect();
    let rows = doc_rows();
    assert!(rows.len() > 100, "compatibility table not found");
    let mut documented = BTreeSet::new();
    for (name, status) in &rows {
        documented.insert(name.clone());
        match status.as_str() {
            "supported" => assert!(
                ours.contains(name),
                "{name} is marked supported but the server does not have it"
            ),
            "not yet" => {
                assert!(
                    !ours.contains(name),
                    "{name} is implemented but marked 'not yet'"
                );
                let parts: Vec<&str> = name.split('|').collect();
                let r = c.cmd(&parts);
                let r = String::from_utf8_lossy(&r);
                assert!(
                    r.starts_with("-ERR unknown command")
                        || r.starts_with("-ERR unknown subcommand"),
                    "{name} is marked 'not yet' but answers {r:?}"
                );
            }
            other => panic!("{name}: unknown status {other:?}"),
        }
    }
    for name in &ours {
        assert!(
            documented.contains(name),
            "docs/compatibility.md does not list {name}"
        );
    }
}
