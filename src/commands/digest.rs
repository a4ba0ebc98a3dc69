//! `DEBUG DIGEST` and `DEBUG DIGEST-VALUE`: Redis's SHA1-based digest of
//! the dataset and of single values, computed the same way, so that two
//! servers (ours, Redis, Valkey) holding the same data print the same hex
//! string. Per key: SHA1 mixes of the key, the type, the elements (in order
//! for lists; order-independent XORs for sets, hashes and sorted sets), and
//! a marker if the key has an expiry; the SHA1s of the keys' digests are
//! XORed together per database, after mixing in the database number.

use tiering::value::format_g;
use tiering::{Keyspace, Value, NO_EXPIRE};

type Digest = [u8; 20];

fn sha1(data: &[u8]) -> Digest {
    sha1_smol::Sha1::from(data).digest().bytes()
}

/// `digest ^= sha1(data)`: adds an element whose order does not matter.
fn xor_digest(digest: &mut Digest, data: &[u8]) {
    for (d, h) in digest.iter_mut().zip(sha1(data)) {
        *d ^= h;
    }
}

/// `digest = sha1(digest ^ sha1(data))`: adds an element in order.
fn mix_digest(digest: &mut Digest, data: &[u8]) {
    xor_digest(digest, data);
    *digest = sha1(&digest[..]);
}

/// Redis's object type numbers.
fn type_number(v: &Value) -> u32 {
    match v {
        Value::Str(_) => 0,
        Value::List(_) => 1,
        Value::Set(_) => 2,
        Value::ZSet(_) => 3,
        Value::Hash(_) => 4,
        Value::Cold(r) => match r.repr.type_name() {
            "string" => 0,
            "list" => 1,
            "set" => 2,
            "zset" => 3,
            _ => 4,
        },
    }
}

/// Adds value `v` (hot) of a key with or without an expiry to `digest`,
/// as Redis's `xorObjectDigest`.
fn xor_object_digest(digest: &mut Digest, v: &Value, has_expire: bool) {
    mix_digest(digest, &type_number(v).to_be_bytes());
    match v {
        Value::Str(s) => mix_digest(digest, &s.as_bytes()),
        Value::List(l) => {
            for e in l.iter() {
                mix_digest(digest, e);
            }
        }
        Value::Set(s) => s.for_each(|m| xor_digest(digest, m)),
        Value::ZSet(z) => z.for_range(0, z.len(), |m, score| {
            let mut ele = [0u8; 20];
            mix_digest(&mut ele, m);
            mix_digest(&mut ele, format_g(score, 17).as_bytes());
            xor_digest(digest, &ele);
        }),
        Value::Hash(h) => {
            for (f, val) in h.iter() {
                let mut ele = [0u8; 20];
                mix_digest(&mut ele, f);
                mix_digest(&mut ele, val);
                xor_digest(digest, &ele);
            }
        }
        // Loaded by the callers first.
        Value::Cold(_) => {}
    }
    if has_expire {
        xor_digest(digest, b"!!expire!!");
    }
}

fn hex(d: &Digest) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// The digest of the value of `key` in `db` (zeros if there is none), as
/// `DEBUG DIGEST-VALUE` prints it. Logically expired keys still count, as
/// in Redis. A cold value is read without being promoted.
pub fn value_digest(ks: &mut Keyspace, db: usize, key: &[u8]) -> Result<String, String> {
    let d = ks.db(db);
    let mut digest = [0u8; 20];
    let Some(e) = d.peek(key) else {
        return Ok(hex(&digest));
    };
    let has_expire = d.expire_of(key) != NO_EXPIRE;
    match &e.value {
        Value::Cold(r) => {
            let r = r.clone();
            let v = ks.cold_value(&r)?;
            xor_object_digest(&mut digest, &v, has_expire);
        }
        v => xor_object_digest(&mut digest, v, has_expire),
    }
    Ok(hex(&digest))
}

/// Adds key `key` with (hot) value `v` to the dataset digest `total`:
/// the key's own digest (key, then value) goes in through a SHA1.
fn add_key(total: &mut Digest, key: &[u8], v: &Value, has_expire: bool) {
    let mut digest = [0u8; 20];
    mix_digest(&mut digest, key);
    xor_object_digest(&mut digest, v, has_expire);
    xor_digest(total, &digest);
}

/// The digest of the whole dataset, as `DEBUG DIGEST` prints it (zeros
/// for an empty one).
pub fn dataset_digest(ks: &mut Keyspace) -> Result<String, String> {
    let mut total = [0u8; 20];
    for db in 0..ks.db_count() {
        let d = ks.db(db);
        if d.is_empty() {
            continue;
        }
        mix_digest(&mut total, &(db as u32).to_be_bytes());
        let mut cold = Vec::new();
        d.for_each(|k, e| {
            let has_expire = d.expire_of(k.as_bytes()) != NO_EXPIRE;
            if let Value::Cold(r) = &e.value {
                cold.push((k.clone(), r.clone(), has_expire));
                return;
            }
            add_key(&mut total, k.as_bytes(), &e.value, has_expire);
        });
        for (k, r, has_expire) in cold {
            let v = ks.cold_value(&r)?;
            add_key(&mut total, k.as_bytes(), &v, has_expire);
        }
    }
    Ok(hex(&total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_is_sha1() {
        assert_eq!(
            hex(&sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
    }

    #[test]
    fn sets_do_not_depend_on_order_and_lists_do() {
        let mut a = [0u8; 20];
        let mut b = [0u8; 20];
        xor_digest(&mut a, b"x");
        xor_digest(&mut a, b"y");
        xor_digest(&mut b, b"y");
        xor_digest(&mut b, b"x");
        assert_eq!(a, b);
        let mut a = [0u8; 20];
        let mut b = [0u8; 20];
        mix_digest(&mut a, b"x");
        mix_digest(&mut a, b"y");
        mix_digest(&mut b, b"y");
        mix_digest(&mut b, b"x");
        assert_ne!(a, b);
    }
}
