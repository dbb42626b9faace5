//! Comparison, logical, numeric and conversion functions, `json`, and the epoch date functions.

use super::Bad;
use super::truthy;
use serde_json::Value as Json;
use std::cmp::Ordering;

/// A function of this group over known arguments: `None` when `name` is not one of them,
/// `Some(None)` when ARM would reject the call.
pub(super) fn call(name: &str, a: &[Json]) -> Option<Result<Json, Bad>> {
    let int = |i: usize| a.get(i).and_then(Json::as_i64);
    let out = match name {
        "true" => Some(Json::Bool(true)),
        "false" => Some(Json::Bool(false)),
        "null" => Some(Json::Null),
        "equals" => match a {
            [x, y] => Some(Json::Bool(same(x, y))),
            _ => None,
        },
        "greater" | "greaterorequals" | "less" | "lessorequals" => {
            let ord = compare(a.first()?, a.get(1)?)?;
            Some(Json::Bool(match name {
                "greater" => ord == Ordering::Greater,
                "greaterorequals" => ord != Ordering::Less,
                "less" => ord == Ordering::Less,
                _ => ord != Ordering::Greater,
            }))
        }
        "not" => truthy(a.first()?).map(|b| Json::Bool(!b)),
        "bool" => match a.first()? {
            Json::Number(n) => n.as_i64().map(|n| Json::Bool(n != 0)),
            other => truthy(other).map(Json::Bool),
        },
        "int" => match a.first()? {
            Json::Number(n) => n
                .as_i64()
                .or_else(|| {
                    n.as_f64()
                        .map(f64::trunc)
                        .filter(|f| f.abs() < 9e15)
                        .map(|f| {
                            #[allow(clippy::cast_possible_truncation)]
                            let i = f as i64;
                            i
                        })
                })
                .map(Json::from),
            Json::String(s) => s.trim().parse::<i64>().ok().map(Json::from),
            _ => None,
        },
        "float" => match a.first()? {
            Json::Number(n) => n.as_f64().map(Json::from),
            Json::String(s) => s.trim().parse::<f64>().ok().map(Json::from),
            _ => None,
        },
        "add" => int(0)?.checked_add(int(1)?).map(Json::from),
        "sub" => int(0)?.checked_sub(int(1)?).map(Json::from),
        "mul" => int(0)?.checked_mul(int(1)?).map(Json::from),
        "div" => int(0)?.checked_div(int(1)?).map(Json::from),
        "mod" => int(0)?.checked_rem(int(1)?).map(Json::from),
        "json" => serde_json::from_str(a.first()?.as_str()?).ok(),
        "datetimefromepoch" => Some(Json::String(from_epoch(int(0)?))),
        "datetimetoepoch" => to_epoch(a.first()?.as_str()?).map(Json::from),
        _ => return None,
    };
    Some(out.ok_or(Bad))
}

/// ARM's `equals`: strings compare case-sensitively, numbers by value, objects and arrays
/// deeply.
fn same(x: &Json, y: &Json) -> bool {
    match (x, y) {
        (Json::Number(a), Json::Number(b)) => a.as_f64() == b.as_f64(),
        _ => x == y,
    }
}

fn compare(x: &Json, y: &Json) -> Option<Ordering> {
    match (x, y) {
        (Json::Number(a), Json::Number(b)) => a.as_f64()?.partial_cmp(&b.as_f64()?),
        (Json::String(a), Json::String(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn from_epoch(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn to_epoch(s: &str) -> Option<i64> {
    let s = s.trim().trim_end_matches('Z');
    let (date, time) = s.split_once(['T', ' ']).unwrap_or((s, "00:00:00"));
    let mut d = date.split('-').map(|x| x.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let time = time.split('.').next()?;
    let mut t = time.split(':').map(|x| x.parse::<i64>().ok());
    let (h, mi, sec) = (
        t.next()??,
        t.next().flatten().unwrap_or(0),
        t.next().flatten().unwrap_or(0),
    );
    Some(days_from_civil(y, m, day) * 86_400 + h * 3600 + mi * 60 + sec)
}
