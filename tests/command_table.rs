//! Our command table against redis-server 7.0's: `COMMAND INFO` fields for
//! every command and subcommand we declare, `COMMAND COUNT`/`LIST`,
//! `COMMAND GETKEYS`/`GETKEYSANDFLAGS` on sample commands, and `COMMAND
//! DOCS` completeness.
//!
//! Commands redis 7.0 does not know (7.2-only ones such as CLIENT SETINFO
//! and CLIENT NO-TOUCH) are listed and skipped. Every mismatch is collected
//! and reported at once.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{show, Conn, Server, Value};

/// The fields of one `COMMAND INFO` entry that we compare.
#[derive(Debug, Clone, PartialEq)]
struct Info {
    name: String,
    arity: i64,
    flags: BTreeSet<String>,
    first: i64,
    last: i64,
    step: i64,
    categories: BTreeSet<String>,
    tips: BTreeSet<String>,
    key_specs: Value,
    subcommands: Vec<Info>,
}

/// Key specs without their free-text `notes` (documentation only).
fn without_notes(v: &Value) -> Value {
    match v {
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|spec| {
                    let pairs: Vec<(Value, Value)> = spec
                        .pairs()
                        .into_iter()
                        .filter(|(k, _)| k.text() != "notes")
                        .collect();
                    Value::Map(pairs)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn set_of(v: &Value) -> BTreeSet<String> {
    v.items().iter().map(|x| x.text()).collect()
}

fn parse_info(v: &Value) -> Info {
    let f = v.items();
    assert!(f.len() >= 10, "COMMAND INFO entry with {} fields", f.len());
    Info {
        name: f[0].text().to_ascii_lowercase(),
        arity: f[1].int().expect("arity"),
        flags: set_of(&f[2]),
        first: f[3].int().expect("first key"),
        last: f[4].int().expect("last key"),
        step: f[5].int().expect("step"),
        categories: set_of(&f[6]),
        tips: set_of(&f[7]),
        key_specs: without_notes(&f[8]),
        subcommands: f[9].items().iter().map(parse_info).collect(),
    }
}

/// Every command and subcommand, flattened, by full name (`client|id`).
fn flatten(list: &[Info]) -> BTreeMap<String, Info> {
    let mut out = BTreeMap::new();
    for c in list {
        out.insert(c.name.clone(), c.clone());
        for s in &c.subcommands {
            out.insert(s.name.clone(), s.clone());
        }
    }
    out
}

fn all_commands(c: &mut Conn) -> Vec<Info> {
    let v = Value::parse(&c.cmd(&["COMMAND"]));
    v.items().iter().map(parse_info).collect()
}

/// `COMMAND INFO <name>` as a parsed entry, `None` if unknown.
fn info_of(c: &mut Conn, name: &str) -> Option<Info> {
    let v = Value::parse(&c.cmd(&["COMMAND", "INFO", name]));
    match v.items() {
        [e @ Value::Array(_)] => Some(parse_info(e)),
        _ => None,
    }
}

fn start_pair() -> Option<(Server, Server)> {
    let reference = Server::start_reference(&[])?;
    Some((Server::start(&[]), reference))
}

#[test]
fn command_info_matches_redis() {
    let Some((ours, reference)) = start_pair() else {
        return;
    };
    let (mut o, mut r) = (ours.conn(), reference.conn());
    let mine = flatten(&all_commands(&mut o));
    assert!(
        mine.contains_key("get") && mine.contains_key("command|info"),
        "COMMAND lists too little: {:?}",
        mine.keys().collect::<Vec<_>>()
    );
    let mut mismatches = Vec::new();
    let mut unknown_to_redis = Vec::new();
    let mut compared = 0;
    for (name, m) in &mine {
        let Some(theirs) = info_of(&mut r, name) else {
            unknown_to_redis.push(name.clone());
            continue;
        };
        compared += 1;
        // The entry `COMMAND INFO <name>` returns must be the same one
        // `COMMAND` lists.
        match info_of(&mut o, name) {
            Some(direct) if direct == *m => {}
            other => mismatches.push(format!(
                "{name}: COMMAND INFO {name} differs from its COMMAND entry: {other:?}"
            )),
        }
        let mut field = |what: &str, a: String, b: String| {
            if a != b {
                mismatches.push(format!("{name}: {what}: ours {a}, redis {b}"));
            }
        };
        field("arity", m.arity.to_string(), theirs.arity.to_string());
        field(
            "flags",
            format!("{:?}", m.flags),
            format!("{:?}", theirs.flags),
        );
        field(
            "first/last/step",
            format!("{}/{}/{}", m.first, m.last, m.step),
            format!("{}/{}/{}", theirs.first, theirs.last, theirs.step),
        );
        field(
            "ACL categories",
            format!("{:?}", m.categories),
            format!("{:?}", theirs.categories),
        );
        field(
            "key specs",
            format!("{:?}", m.key_specs),
            format!("{:?}", theirs.key_specs),
        );
    }
    // Tips are informational: redis 7.2 (which we answer as) added some
    // that 7.0 lacks, e.g. CONFIG REWRITE's request/response policies.
    for (name, m) in &mine {
        if let Some(theirs) = info_of(&mut r, name) {
            if m.tips != theirs.tips {
                eprintln!(
                    "note: {name}: tips ours {:?}, redis 7.0 {:?}",
                    m.tips, theirs.tips
                );
            }
        }
    }
    eprintln!(
        "compared {compared} commands/subcommands with redis 7.0; unknown to redis 7.0 (skipped): {}",
        unknown_to_redis.join(" ")
    );
    assert!(compared > 10, "compared only {compared} commands");
    assert!(
        mismatches.is_empty(),
        "{} COMMAND INFO mismatches with redis 7.0:\n  {}",
        mismatches.len(),
        mismatches.join("\n  ")
    );
}

#[test]
fn command_count_and_list_agree_with_command() {
    let ours = Server::start(&[]);
    let mut c = ours.conn();
    let all = all_commands(&mut c);
    let count = Value::parse(&c.cmd(&["COMMAND", "COUNT"]))
        .int()
        .expect("COMMAND COUNT is an integer");
    assert_eq!(count as usize, all.len(), "COMMAND COUNT vs COMMAND");
    assert!(count > 10);
    // COMMAND LIST: every command and subcommand, by full name.
    let listed: BTreeSet<String> = Value::parse(&c.cmd(&["COMMAND", "LIST"]))
        .items()
        .iter()
        .map(|v| v.text())
        .collect();
    let flat: BTreeSet<String> = flatten(&all).into_keys().collect();
    assert_eq!(listed, flat, "COMMAND LIST vs COMMAND");
    // COMMAND INFO with no names is COMMAND; unknown names are nil.
    let info_all = Value::parse(&c.cmd(&["COMMAND", "INFO"]));
    assert_eq!(info_all.items().len(), all.len());
    let two = Value::parse(&c.cmd(&["COMMAND", "INFO", "get", "no-such-command"]));
    assert!(
        matches!(two.items(), [Value::Array(_), Value::Nil]),
        "{two:?}"
    );
}

/// Unknown names in COMMAND INFO: a null bulk (`$-1`) each, as Redis.
#[test]
fn command_info_unknown_names_like_redis() {
    let Some((ours, reference)) = start_pair() else {
        return;
    };
    let args = [
        "COMMAND",
        "INFO",
        "no-such-command",
        "get|x",
        "client|no-such",
    ];
    assert_eq!(
        show(&ours.conn().cmd(&args)),
        show(&reference.conn().cmd(&args))
    );
}

/// `COMMAND GETKEYS` (and GETKEYSANDFLAGS) for sample commands: both
/// servers, byte for byte. Samples whose command our server does not know
/// yet are skipped.
#[test]
fn command_getkeys_matches_redis() {
    let Some((ours, reference)) = start_pair() else {
        return;
    };
    let (mut o, mut r) = (ours.conn(), reference.conn());
    let samples: &[&[&str]] = &[
        &["GET", "k"],
        &["SET", "k", "v"],
        &["SET", "k", "v", "EX", "10", "GET"],
        &["DEL", "a", "b", "c"],
        &["UNLINK", "a", "b"],
        &["EXISTS", "a", "a", "b"],
        &["TOUCH", "a", "b"],
        &["MGET", "a", "b", "c"],
        &["MSET", "a", "1", "b", "2"],
        &["MSETNX", "a", "1", "b", "2"],
        &["GETEX", "k", "PERSIST"],
        &["GETDEL", "k"],
        &["APPEND", "k", "v"],
        &["INCRBYFLOAT", "k", "1.5"],
        &["SETRANGE", "k", "0", "v"],
        &["LCS", "a", "b", "LEN"],
        &["BITOP", "AND", "dest", "a", "b"],
        &["BITFIELD", "k", "GET", "u8", "0"],
        &["BITFIELD_RO", "k", "GET", "u8", "0"],
        &["BITCOUNT", "k"],
        &["RENAME", "a", "b"],
        &["RENAMENX", "a", "b"],
        &["COPY", "a", "b", "DB", "1", "REPLACE"],
        &["MOVE", "k", "1"],
        &["EXPIRE", "k", "10", "NX"],
        &["PEXPIREAT", "k", "10"],
        &["TTL", "k"],
        &["PERSIST", "k"],
        &["TYPE", "k"],
        &["OBJECT", "ENCODING", "k"],
        &["SORT", "k"],
        &[
            "SORT", "k", "BY", "w_*", "LIMIT", "0", "1", "GET", "#", "STORE", "d",
        ],
        &["SORT", "k", "STORE", "a", "STORE", "b"],
        &["SORT", "k", "GET", "store", "STORE"],
        &["SORT_RO", "k", "BY", "w_*"],
        &["ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"],
        &["ZINTERCARD", "3", "a", "b", "c", "LIMIT", "1"],
        &["ZDIFF", "1", "a", "WITHSCORES"],
        &["ZMPOP", "2", "a", "b", "MIN"],
        &["BZMPOP", "0", "2", "a", "b", "MAX", "COUNT", "2"],
        &["BZPOPMIN", "a", "b", "0"],
        &["ZUNION", "5", "a"],
        &["ZUNIONSTORE", "d", "0", "a"],
        &["ZINTERSTORE", "d", "3", "a", "b"],
        &["LMPOP", "3", "a", "LEFT"],
        &["BZMPOP", "0", "x", "a", "MIN"],
        // Errors.
        &["PING"],
        &["PING", "a", "b"],
        &["ECHO", "x"],
        &["GET"],
        &["MSET", "a"],
        &["NO-SUCH-COMMAND", "k"],
        &["CLIENT", "NO-SUCH-SUBCOMMAND"],
        &["KEYS", "*"],
    ];
    let mut mismatches = Vec::new();
    let mut compared = 0;
    for s in samples {
        let info = info_of(&mut o, &s[0].to_ascii_lowercase());
        if info.is_none() && s[0] != "NO-SUCH-COMMAND" {
            eprintln!("skipped (our server does not know it yet): {}", s.join(" "));
            continue;
        }
        for sub in ["GETKEYS", "GETKEYSANDFLAGS"] {
            let mut args = vec!["COMMAND", sub];
            args.extend_from_slice(s);
            let (a, b) = (o.cmd(&args), r.cmd(&args));
            compared += 1;
            if a != b {
                mismatches.push(format!(
                    "{}\n    ours:  {}\n    redis: {}",
                    args.join(" "),
                    show(&a),
                    show(&b)
                ));
            }
        }
    }
    for args in [&["COMMAND", "GETKEYS"][..], &["COMMAND", "GETKEYSANDFLAGS"]] {
        let (a, b) = (o.cmd(args), r.cmd(args));
        compared += 1;
        if a != b {
            mismatches.push(format!(
                "{}\n    ours:  {}\n    redis: {}",
                args.join(" "),
                show(&a),
                show(&b)
            ));
        }
    }
    assert!(compared >= 10, "compared only {compared}");
    assert!(
        mismatches.is_empty(),
        "{} COMMAND GETKEYS mismatches:\n  {}",
        mismatches.len(),
        mismatches.join("\n  ")
    );
}

/// `COMMAND DOCS` has summary, since, group and complexity for every
/// command and subcommand, and agrees with redis 7.0 on the group.
#[test]
fn command_docs_complete() {
    let Some((ours, reference)) = start_pair() else {
        return;
    };
    let (mut o, mut r) = (ours.conn(), reference.conn());
    let docs = Value::parse(&o.cmd(&["COMMAND", "DOCS"]));
    let all = all_commands(&mut o);
    let flat = flatten(&all);
    let mut seen = BTreeSet::new();
    let mut problems = Vec::new();

    fn walk(
        pairs: Vec<(Value, Value)>,
        seen: &mut BTreeSet<String>,
        problems: &mut Vec<String>,
        docs_of: &mut BTreeMap<String, BTreeMap<String, Value>>,
    ) {
        for (name, doc) in pairs {
            let name = name.text().to_ascii_lowercase();
            let fields: BTreeMap<String, Value> = doc
                .pairs()
                .into_iter()
                .map(|(k, v)| (k.text(), v))
                .collect();
            for f in ["summary", "since", "group", "complexity"] {
                match fields.get(f) {
                    Some(Value::Bulk(b)) if !b.is_empty() => {}
                    other => problems.push(format!("{name}: {f} is {other:?}")),
                }
            }
            if let Some(subs) = fields.get("subcommands") {
                walk(subs.pairs(), seen, problems, docs_of);
            }
            seen.insert(name.clone());
            docs_of.insert(name, fields);
        }
    }
    let mut docs_of = BTreeMap::new();
    walk(docs.pairs(), &mut seen, &mut problems, &mut docs_of);
    for name in flat.keys() {
        if !seen.contains(name) {
            problems.push(format!(
                "{name}: listed by COMMAND, missing from COMMAND DOCS"
            ));
        }
    }
    for name in &seen {
        if !flat.contains_key(name) {
            problems.push(format!("{name}: in COMMAND DOCS, missing from COMMAND"));
        }
    }
    // Group against redis 7.0, where redis knows the command.
    for (name, fields) in &docs_of {
        let theirs = Value::parse(&r.cmd(&["COMMAND", "DOCS", name]));
        let Some((_, doc)) = theirs.pairs().into_iter().next() else {
            continue;
        };
        let t: BTreeMap<String, Value> = doc
            .pairs()
            .into_iter()
            .map(|(k, v)| (k.text(), v))
            .collect();
        if t.get("group") != fields.get("group") {
            problems.push(format!(
                "{name}: group ours {:?}, redis {:?}",
                fields.get("group"),
                t.get("group")
            ));
        }
    }
    assert!(seen.len() > 10);
    assert!(
        problems.is_empty(),
        "{} COMMAND DOCS problems:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

/// GETKEYSANDFLAGS reports, for every key, the static flags of the
/// command's *first* key spec. Redis reports each key's own spec (RENAME's
/// destination is `OW update`, COPY's `OW update`) and, for specs with
/// `variable_flags` (SET, BITFIELD), the flags of this particular call
/// (`SET k v` is `OW update`; with GET, `RW access update`).
#[test]
fn getkeysandflags_per_key() {
    let Some((ours, reference)) = start_pair() else {
        return;
    };
    for args in [
        &["COMMAND", "GETKEYSANDFLAGS", "RENAME", "a", "b"][..],
        &["COMMAND", "GETKEYSANDFLAGS", "COPY", "a", "b"],
        &["COMMAND", "GETKEYSANDFLAGS", "SET", "k", "v"],
        &["COMMAND", "GETKEYSANDFLAGS", "SET", "k", "v", "GET"],
    ] {
        assert_eq!(
            show(&ours.conn().cmd(args)),
            show(&reference.conn().cmd(args)),
            "{args:?}"
        );
    }
}
