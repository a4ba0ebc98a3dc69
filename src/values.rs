//! Conversions between the server's value types and the neutral forms
//! other code works with: element lists (SORT) and
//! [`persistence::object::Object`] (DUMP/RESTORE, RDB files). One place
//! that knows every type's accessors, so the formats do not.

use persistence::object::{Form, Object};
use tiering::cold::Repr;
use tiering::pack::Pack;
use tiering::{HashValue, Limits, ListValue, SetValue, StrValue, Value, ZSetValue};

/// The value as an RDB object, with the form it is held in (which decides
/// the RDB type written).
pub fn to_object(v: &Value) -> (Object, Form) {
    match v {
        Value::Str(s) => (Object::Str(s.as_bytes().into_owned()), Form::Compact),
        Value::List(l) => (Object::List(list_items(l)), form_of(v)),
        Value::Set(s) => match &**s {
            // The blob at the intset's own width, as Redis writes it.
            SetValue::Int(i) => (
                Object::IntSet(i.iter().collect(), i.width() as u8),
                Form::Compact,
            ),
            // RDB version 10 (Redis 7.0) has no listpack set: any other
            // set goes out member by member.
            _ => (Object::Set(set_members(s)), Form::Large),
        },
        Value::ZSet(z) => (Object::ZSet(zset_items(z)), form_of(v)),
        Value::Hash(h) => (Object::Hash(hash_pairs(h)), form_of(v)),
        // Callers load cold values first; an empty string stands in if one
        // slips through rather than a panic.
        Value::Cold(_) => (Object::Str(Vec::new()), Form::Compact),
    }
}

fn form_of(v: &Value) -> Form {
    match v.encoding() {
        "listpack" => Form::Compact,
        _ => Form::Large,
    }
}

/// A value from an RDB object, in the representation Redis 7.0 gives it on
/// loading: a compact blob stays compact unless it has too many elements;
/// other values are built as the commands would build them. `None` for an
/// empty collection (which Redis never keeps).
pub fn from_object(o: Object, form: Form, limits: &Limits) -> Option<Value> {
    match o {
        Object::Str(s) => Some(Value::Str(StrValue::from_vec(s))),
        Object::List(items) if !items.is_empty() => {
            Some(Value::List(Box::new(ListValue::from_items(
                items.iter().map(|i| i.as_slice()),
                limits.list_max_listpack_size,
            ))))
        }
        Object::IntSet(v, _) if !v.is_empty() => {
            Some(Value::Set(Box::new(SetValue::from_compact(
                &v.iter()
                    .map(|i| i.to_string().into_bytes())
                    .collect::<Vec<_>>(),
                limits,
            ))))
        }
        Object::Set(m) if !m.is_empty() => Some(Value::Set(Box::new(match form {
            Form::Compact => SetValue::from_compact(&m, limits),
            Form::Large => SetValue::from_plain(&m, limits),
        }))),
        Object::ZSet(mut z) if !z.is_empty() => {
            z.sort_by(|a, b| tiering::zset::cmp_entry(a.1, &a.0, b.1, &b.0));
            // A listpack blob stays compact whatever its members' lengths.
            let mut lim = *limits;
            if form == Form::Compact {
                lim.zset_max_listpack_value = usize::MAX;
            }
            Some(Value::ZSet(Box::new(ZSetValue::from_sorted(z, &lim))))
        }
        Object::Hash(p) if !p.is_empty() => {
            let mut h = if form == Form::Compact {
                HashValue::Pack(Pack::from_items(
                    p.iter().flat_map(|(f, v)| [f.as_slice(), v.as_slice()]),
                ))
            } else {
                HashValue::default()
            };
            if form == Form::Compact {
                if h.len() > limits.hash_max_listpack_entries {
                    h.convert_to_table();
                }
            } else {
                // Built as HSETs would: the representation follows the limits.
                for (f, v) in &p {
                    h.set(f, v, limits);
                }
            }
            Some(Value::Hash(Box::new(h)))
        }
        _ => None,
    }
}

/// A list's elements, head to tail.
pub fn list_items(l: &ListValue) -> Vec<Vec<u8>> {
    l.iter().map(<[u8]>::to_vec).collect()
}

/// A set's members (in the set's own order: ascending for an intset).
pub fn set_members(s: &SetValue) -> Vec<Vec<u8>> {
    s.members()
}

/// A sorted set's members and scores, lowest score first.
pub fn zset_items(z: &ZSetValue) -> Vec<(Vec<u8>, f64)> {
    z.range(0, z.len())
}

/// A hash's field/value pairs (in the hash's own order).
pub fn hash_pairs(h: &HashValue) -> Vec<(Vec<u8>, Vec<u8>)> {
    h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()
}

/// One hash field's value.
pub fn hash_field(h: &HashValue, field: &[u8]) -> Option<Vec<u8>> {
    h.get(field).map(<[u8]>::to_vec)
}

/// The cold tier's codec: a value's RDB object encoding (what `DUMP`
/// carries, without its trailer), rebuilt on the way back in exactly the
/// representation it left in, whatever the limits are now.
pub struct ColdCodec;

impl tiering::cold::ValueCodec for ColdCodec {
    fn encode(&self, v: &Value, out: &mut Vec<u8>) -> u8 {
        let (obj, form) = to_object(v);
        let extra = match &obj {
            Object::IntSet(_, w) => *w,
            _ => 0,
        };
        // Uncompressed here: the cold tier compresses the whole record.
        let mut w = persistence::rdb::Writer::new(false);
        persistence::object::write_object(&mut w, &obj, form, -2);
        out.extend_from_slice(&w.buf);
        extra
    }

    fn decode(&self, repr: Repr, extra: u8, body: &[u8]) -> Result<Value, String> {
        let (&t, rest) = body.split_first().ok_or("empty cold object")?;
        let obj = persistence::object::read_object(t, &mut persistence::rdb::Reader::new(rest))
            .map_err(|e| format!("cold object: {e}"))?;
        let wrong = || Err(format!("cold object of type {t} does not match {repr:?}"));
        let lim = Limits::default();
        Ok(match (repr, obj) {
            (Repr::StrInt, Object::Str(s)) => {
                Value::Str(match tiering::value::parse_strict_i64(&s) {
                    Some(i) => StrValue::Int(i),
                    None => return wrong(),
                })
            }
            (Repr::StrEmb, Object::Str(s)) => Value::Str(StrValue::Emb(s.into())),
            (Repr::StrRaw, Object::Str(s)) => Value::Str(StrValue::Raw(s)),
            (Repr::ListPack, Object::List(items)) => Value::List(Box::new(ListValue::Pack(
                Pack::from_items(items.iter().map(Vec::as_slice)),
            ))),
            (Repr::ListQuick, Object::List(items)) => Value::List(Box::new(
                ListValue::quick_from_items(items.iter().map(Vec::as_slice), -2),
            )),
            (Repr::HashPack, Object::Hash(p)) => Value::Hash(Box::new(HashValue::Pack(
                Pack::from_items(p.iter().flat_map(|(f, v)| [f.as_slice(), v.as_slice()])),
            ))),
            (Repr::HashTable, Object::Hash(p)) => {
                let mut h = HashValue::default();
                h.convert_to_table();
                for (f, v) in &p {
                    h.set(f, v, &lim);
                }
                Value::Hash(Box::new(h))
            }
            (Repr::SetInt, Object::Set(m)) => {
                let ints: Option<Vec<i64>> = m
                    .iter()
                    .map(|b| tiering::value::parse_strict_i64(b))
                    .collect();
                let Some(ints) = ints else {
                    return wrong();
                };
                Value::Set(Box::new(SetValue::Int(
                    tiering::set::IntSet::from_values_at(ints, extra),
                )))
            }
            (Repr::SetPack, Object::Set(m)) => Value::Set(Box::new(SetValue::Pack(
                Pack::from_items(m.iter().map(Vec::as_slice)),
            ))),
            (Repr::SetTable, Object::Set(m)) => {
                let mut s = SetValue::Table(Box::default());
                for x in &m {
                    s.insert(x, &lim);
                }
                Value::Set(Box::new(s))
            }
            (r @ (Repr::ZSetPack | Repr::ZSetSkip), Object::ZSet(mut z)) => {
                z.sort_by(|a, b| tiering::zset::cmp_entry(a.1, &a.0, b.1, &b.0));
                let mut l = lim;
                if r == Repr::ZSetPack {
                    l.zset_max_listpack_entries = usize::MAX;
                    l.zset_max_listpack_value = usize::MAX;
                } else {
                    l.zset_max_listpack_entries = 0;
                }
                Value::ZSet(Box::new(ZSetValue::from_sorted(z, &l)))
            }
            _ => return wrong(),
        })
    }
}
