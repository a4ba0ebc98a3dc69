//! Typed access to collection values, shared by the collection families:
//! a lookup that answers WRONGTYPE for another type, creation on first
//! write, and removal of a collection that a command emptied (Redis never
//! keeps an empty collection).

use tiering::{HashValue, ListValue, SetValue, Value, ZSetValue};

use crate::exec::{CmdError, CmdResult, Ctx};
use crate::notify;
use crate::reply::Reply;
use bytes::Bytes;

/// A collection type that lives in a [`Value`] variant.
pub trait Typed: Sized {
    fn of(v: &mut Value) -> Option<&mut Self>;
    fn of_ref(v: &Value) -> Option<&Self>;
    fn into_value(self) -> Value;
}

macro_rules! typed {
    ($ty:ty, $variant:ident) => {
        impl Typed for $ty {
            fn of(v: &mut Value) -> Option<&mut Self> {
                match v {
                    Value::$variant(x) => Some(x),
                    _ => None,
                }
            }
            fn of_ref(v: &Value) -> Option<&Self> {
                match v {
                    Value::$variant(x) => Some(x),
                    _ => None,
                }
            }
            fn into_value(self) -> Value {
                Value::$variant(Box::new(self))
            }
        }
    };
}

typed!(ListValue, List);
typed!(HashValue, Hash);
typed!(SetValue, Set);
typed!(ZSetValue, ZSet);

fn as_typed<T: Typed>(e: Option<&mut tiering::Entry>) -> Result<Option<&mut T>, CmdError> {
    match e {
        None => Ok(None),
        Some(e) => T::of(&mut e.value).map(Some).ok_or(CmdError::WRONGTYPE),
    }
}

/// The `T` at `key` for reading (lazy expiry, hit/miss stats): `Ok(None)`
/// if missing, WRONGTYPE if another type.
pub fn read<'a, T: Typed>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut T>, CmdError> {
    as_typed(ctx.read(key))
}

/// The `T` at `key` for writing (lazy expiry, no stats).
pub fn write<'a, T: Typed>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut T>, CmdError> {
    as_typed(ctx.write(key))
}

/// The `T` at `key` for writing, created empty by `make` if the key is
/// missing (firing the `new` keyspace event, as Redis's `dbAdd`).
/// WRONGTYPE if the key holds another type. The caller must add something
/// to a created collection (or remove it again with [`drop_if_empty`]).
pub fn write_or_create<'a, T: Typed>(
    ctx: &'a mut Ctx,
    key: &[u8],
    make: impl FnOnce() -> T,
) -> Result<&'a mut T, CmdError> {
    let (db, now) = (ctx.db, ctx.now_ms);
    if ctx.write(key).is_none() {
        if !ctx.wants(notify::NEW) {
            let e = ctx.st.ks.insert_new(db, key, make().into_value(), now);
            return Ok(T::of(&mut e.value).expect("created with this type"));
        }
        ctx.st.ks.insert_new(db, key, make().into_value(), now);
        ctx.notify_new(key);
    }
    // Looked up again so the borrow of the first lookup ends on the
    // insert path (the entry is known live: no expiry applies twice).
    let e = ctx.st.ks.lookup(db, key, now, tiering::Access::ReadNoTouch);
    as_typed(e).map(|v| v.expect("the key was just found"))
}

/// Deletes `key` if `empty` (the command just emptied the collection).
/// Returns `empty`.
pub fn drop_if_empty(ctx: &mut Ctx, key: &[u8], empty: bool) -> bool {
    if empty {
        let (db, now) = (ctx.db, ctx.now_ms);
        ctx.st.ks.delete(db, key, now);
    }
    empty
}

/// Runs `f` on the `T` at `key` (read access, as [`read`]) with the reply
/// buffer: the buffer is moved out of `ctx` for the call, so a reply can be
/// written straight from the collection without copying it first.
pub fn reading<T: Typed, R>(
    ctx: &mut Ctx,
    key: &[u8],
    f: impl FnOnce(Option<&T>, &mut Reply) -> R,
) -> Result<R, CmdError> {
    let mut out = Reply {
        buf: std::mem::take(&mut ctx.out.buf),
        proto: ctx.out.proto,
    };
    let (at, marks) = (out.buf.len(), ctx.st.pubsub.push_marks.len());
    let r = read::<T>(ctx, key).map(|v| f(v.map(|v| &*v), &mut out));
    // Messages the lookup delivered to the running client (its `keymiss`)
    // went to the stand-in buffer: they come before what `f` wrote.
    let pushed = std::mem::replace(&mut ctx.out.buf, out.buf);
    if !pushed.is_empty() {
        ctx.out.buf.splice(at..at, pushed);
        for m in &mut ctx.st.pubsub.push_marks[marks..] {
            m.0 += at;
            m.1 += at;
        }
    }
    r
}

/// The shape HDEL, SREM and ZREM share: removes each of `items` from the
/// collection at `key` with `remove` (true if it was there), stopping once
/// the collection is empty; deletes an emptied key, reports the change
/// (one `modified`, one dirty per removal, the keyspace event `event` of
/// `class` and then `del` if emptied) and answers how many went.
pub fn remove_each<T: Typed>(
    ctx: &mut Ctx,
    key: &[u8],
    (class, event): (u32, &str),
    items: &[Bytes],
    mut remove: impl FnMut(&mut T, &[u8]) -> bool,
    is_empty: impl Fn(&T) -> bool,
) -> CmdResult {
    let Some(c) = write::<T>(ctx, key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let mut removed = 0;
    for it in items {
        if remove(c, it) {
            removed += 1;
            if is_empty(c) {
                break;
            }
        }
    }
    let empty = is_empty(c);
    if removed > 0 {
        drop_if_empty(ctx, key, empty);
        ctx.modified(key);
        ctx.dirty(removed);
        ctx.notify(class, event, key);
        if empty {
            ctx.notify(notify::GENERIC, "del", key);
        }
    }
    ctx.out.int(removed as i64);
    Ok(())
}
