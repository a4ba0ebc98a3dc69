//! Connection commands that are safe in a command stream, plus unknown
//! commands. Excluded: HELLO, RESET, QUIT, AUTH (they change or end the
//! connection), CLIENT (ids, addresses and timings are per server).

use super::gen::{Args, Mutate, Norm, Spec, G};
use crate::cmd;

pub fn specs() -> Vec<Spec> {
    vec![
        Spec::new("ping", 3, ping),
        Spec::new("echo", 3, echo),
        Spec::new("select", 4, select),
        Spec::new("(unknown)", 2, unknown).mutate(Mutate::Never),
        // Watched keys change all the time in the stream, so later
        // transactions fail (a null EXEC) or run, the same on both sides.
        Spec::new("watch", 2, |g| {
            let mut a = cmd![g.case("watch")];
            a.extend(g.keys(3));
            a
        }),
        Spec::new("unwatch", 1, |g| cmd![g.case("unwatch")]),
        // The generator is not called: the runner builds the transaction.
        Spec::new("exec", 3, |g| cmd![g.case("exec")])
            .norm(Norm::Transaction)
            .mutate(Mutate::Never)
            .requires(&["multi"]),
    ]
}

fn ping(g: &mut G) -> Args {
    let mut a = vec![g.case("ping")];
    if g.chance(50) {
        a.push(g.value());
    }
    if g.chance(5) {
        a.push(g.value());
    }
    a
}

fn echo(g: &mut G) -> Args {
    cmd![g.case("echo"), g.value()]
}

fn select(g: &mut G) -> Args {
    cmd![g.case("select"), g.db()]
}

/// Unknown command names, with arguments: the error quotes them, cut to
/// 128 bytes.
fn unknown(g: &mut G) -> Args {
    let name: Vec<u8> = match g.below(5) {
        0 => b"foo".to_vec(),
        1 => b"GETT".to_vec(),
        2 => vec![b'x'; 200],
        3 => b"\x00\xff".to_vec(),
        _ => b"set\r\n".to_vec(),
    };
    let mut a = vec![name];
    for _ in 0..g.below(4) {
        let v = if g.chance(20) {
            vec![b'y'; 150]
        } else {
            g.value()
        };
        a.push(v);
    }
    a
}
