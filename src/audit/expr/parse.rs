//! The expression language's syntax: string and integer literals, function calls (with
//! `namespace.function` for user-defined functions), `.member` access and `[index]`; and the
//! way back to text, so an unknown value can name the sub-expression it hides behind.

use std::fmt;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Ast {
    /// `'text'` (`''` escapes a quote).
    Str(String),
    /// An integer literal.
    Int(i64),
    /// `true`, `false` or `null` written without parentheses.
    Lit(serde_json::Value),
    /// `name(args…)`.
    Call(String, Vec<Ast>),
    /// `base.name`.
    Member(Box<Ast>, String),
    /// `base[index]`.
    Index(Box<Ast>, Box<Ast>),
}

/// How deep expressions may nest.
const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn string(&mut self) -> Option<Ast> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let c = *self.s.get(self.i)?;
            self.i += 1;
            if c == b'\'' {
                if self.s.get(self.i) == Some(&b'\'') {
                    out.push(b'\'');
                    self.i += 1;
                } else {
                    break;
                }
            } else {
                out.push(c);
            }
        }
        Some(Ast::Str(String::from_utf8(out).ok()?))
    }

    fn number(&mut self) -> Option<Ast> {
        let start = self.i;
        self.i += 1;
        while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
            self.i += 1;
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).ok()?;
        Some(Ast::Int(text.parse().ok()?))
    }

    fn call(&mut self, depth: usize) -> Option<Ast> {
        let mut name = self.ident()?;
        // User-defined functions: namespace.function(...)
        while self.s.get(self.i) == Some(&b'.') {
            let save = self.i;
            self.i += 1;
            match self.ident() {
                Some(more) if self.peek() == Some(b'(') => name = format!("{name}.{more}"),
                _ => {
                    self.i = save;
                    break;
                }
            }
        }
        if !self.eat(b'(') {
            return match name.to_ascii_lowercase().as_str() {
                "true" => Some(Ast::Lit(serde_json::Value::Bool(true))),
                "false" => Some(Ast::Lit(serde_json::Value::Bool(false))),
                "null" => Some(Ast::Lit(serde_json::Value::Null)),
                _ => None,
            };
        }
        let mut args = Vec::new();
        if !self.eat(b')') {
            loop {
                args.push(self.expr(depth + 1)?);
                if self.eat(b')') {
                    break;
                }
                if !self.eat(b',') {
                    return None;
                }
            }
        }
        Some(Ast::Call(name, args))
    }

    fn expr(&mut self, depth: usize) -> Option<Ast> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut e = match self.peek()? {
            b'\'' => self.string()?,
            c if c == b'-' || c.is_ascii_digit() => self.number()?,
            c if c.is_ascii_alphabetic() || c == b'_' => self.call(depth)?,
            _ => return None,
        };
        loop {
            if self.eat(b'.') {
                let name = self.ident()?;
                e = Ast::Member(Box::new(e), name);
            } else if self.eat(b'[') {
                let idx = self.expr(depth + 1)?;
                if !self.eat(b']') {
                    return None;
                }
                e = Ast::Index(Box::new(e), Box::new(idx));
            } else {
                return Some(e);
            }
        }
    }

    fn ident(&mut self) -> Option<String> {
        self.ws();
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
        {
            self.i += 1;
        }
        (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }
}

/// Parse the inside of `[...]`.
pub(super) fn parse(src: &str) -> Option<Ast> {
    let mut p = Parser {
        s: src.as_bytes(),
        i: 0,
    };
    let e = p.expr(0)?;
    p.ws();
    (p.i == p.s.len()).then_some(e)
}

impl fmt::Display for Ast {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ast::Str(s) => write!(f, "'{}'", s.replace('\'', "''")),
            Ast::Int(n) => write!(f, "{n}"),
            Ast::Lit(v) => write!(f, "{v}"),
            Ast::Call(name, args) => {
                write!(f, "{name}(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
            Ast::Member(base, name) => write!(f, "{base}.{name}"),
            Ast::Index(base, idx) => write!(f, "{base}[{idx}]"),
        }
    }
}
