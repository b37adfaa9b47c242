//! The grammar of law expressions, read into a syntax tree whose nodes remember their byte position
//! in the text, so that every later error (unknown name, division by zero) can point at it.
//!
//! ```text
//! sum     := product (("+" | "-") product)*
//! product := unary (("*" | "/") unary)*
//! unary   := ("-" | "+") unary | power
//! power   := atom (("^" | "**") unary)?        (right-associative: a^b^c = a^(b^c); a^-b allowed)
//! atom    := number | name | name "(" sum ("," sum)* ")" | "(" sum ")"
//! ```
//! As in mathematics (and Python), `-a^b` is `-(a^b)`. Nothing here evaluates anything: the text
//! becomes data, never code.

use crate::error::{CoreError, Result};

/// Longest expression accepted: deeper nesting could exhaust the stack of the recursive parser.
const MAX_LEN: usize = 10_000;
const MAX_DEPTH: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Ast {
    Num(f64),
    Name(String),
    Neg(Box<Node>),
    Bin(BinOp, Box<Node>, Box<Node>),
    Call(String, Vec<Node>),
}

/// A syntax node and the byte offset where it starts (for a binary node, its operator).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub ast: Ast,
    pub pos: usize,
}

/// An error in the expression at byte `pos`, shown with the text and a caret under the spot.
pub fn error_at(text: &str, pos: usize, what: impl std::fmt::Display) -> CoreError {
    let caret = " ".repeat(text[..pos.min(text.len())].chars().count());
    CoreError::invalid("expr", format!("{what} at position {pos}\n  {text}\n  {caret}^"))
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Name(String),
    Op(char),
    Pow,
    LParen,
    RParen,
    Comma,
    End,
}

fn lex(text: &str) -> Result<Vec<(Tok, usize)>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'0'..=b'9' | b'.' => {
                while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                    i += 1;
                }
                // An exponent only when digits follow: "2e" alone is a number then a name.
                if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
                    let mut j = i + 1;
                    if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
                        j += 1;
                    }
                    if j < bytes.len() && bytes[j].is_ascii_digit() {
                        while j < bytes.len() && bytes[j].is_ascii_digit() {
                            j += 1;
                        }
                        i = j;
                    }
                }
                let s = &text[start..i];
                let v: f64 = s.parse().map_err(|_| error_at(text, start, format!("malformed number {s:?}")))?;
                out.push((Tok::Num(v), start));
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                out.push((Tok::Name(text[start..i].to_string()), start));
            }
            b'*' if bytes.get(i + 1) == Some(&b'*') => {
                out.push((Tok::Pow, start));
                i += 2;
            }
            b'^' => {
                out.push((Tok::Pow, start));
                i += 1;
            }
            b'+' | b'-' | b'*' | b'/' => {
                out.push((Tok::Op(c as char), start));
                i += 1;
            }
            b'(' => {
                out.push((Tok::LParen, start));
                i += 1;
            }
            b')' => {
                out.push((Tok::RParen, start));
                i += 1;
            }
            b',' => {
                out.push((Tok::Comma, start));
                i += 1;
            }
            _ => {
                let ch = text[start..].chars().next().unwrap_or('?');
                return Err(error_at(text, start, format!("unexpected character {ch:?}")));
            }
        }
    }
    out.push((Tok::End, text.len()));
    Ok(out)
}

struct Parser<'t> {
    text: &'t str,
    toks: Vec<(Tok, usize)>,
    at: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.toks[self.at.min(self.toks.len() - 1)].0
    }
    fn pos(&self) -> usize {
        self.toks[self.at.min(self.toks.len() - 1)].1
    }
    fn bump(&mut self) -> (Tok, usize) {
        let t = self.toks[self.at.min(self.toks.len() - 1)].clone();
        self.at += 1;
        t
    }
    fn unexpected(&self) -> CoreError {
        let what = match self.peek() {
            Tok::End => "unexpected end of expression".to_string(),
            Tok::Num(v) => format!("unexpected number {v}"),
            Tok::Name(n) => format!("unexpected name {n:?}"),
            Tok::Op(c) => format!("unexpected {c:?}"),
            Tok::Pow => "unexpected '^'".to_string(),
            Tok::LParen => "unexpected '('".to_string(),
            Tok::RParen => "unexpected ')'".to_string(),
            Tok::Comma => "unexpected ','".to_string(),
        };
        error_at(self.text, self.pos(), what)
    }
    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(error_at(self.text, self.pos(), format!("nested more than {MAX_DEPTH} deep")));
        }
        Ok(())
    }

    fn sum(&mut self) -> Result<Node> {
        self.enter()?;
        let mut left = self.product()?;
        while let Tok::Op(c @ ('+' | '-')) = *self.peek() {
            let (_, pos) = self.bump();
            let right = self.product()?;
            let op = if c == '+' { BinOp::Add } else { BinOp::Sub };
            left = Node { ast: Ast::Bin(op, Box::new(left), Box::new(right)), pos };
        }
        self.depth -= 1;
        Ok(left)
    }

    fn product(&mut self) -> Result<Node> {
        let mut left = self.unary()?;
        while let Tok::Op(c @ ('*' | '/')) = *self.peek() {
            let (_, pos) = self.bump();
            let right = self.unary()?;
            let op = if c == '*' { BinOp::Mul } else { BinOp::Div };
            left = Node { ast: Ast::Bin(op, Box::new(left), Box::new(right)), pos };
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Node> {
        match *self.peek() {
            Tok::Op(c @ ('-' | '+')) => {
                self.enter()?;
                let (_, pos) = self.bump();
                let inner = self.unary()?;
                self.depth -= 1;
                Ok(if c == '-' { Node { ast: Ast::Neg(Box::new(inner)), pos } } else { inner })
            }
            _ => self.power(),
        }
    }

    fn power(&mut self) -> Result<Node> {
        let base = self.atom()?;
        if *self.peek() == Tok::Pow {
            self.enter()?;
            let (_, pos) = self.bump();
            let exponent = self.unary()?;
            self.depth -= 1;
            return Ok(Node { ast: Ast::Bin(BinOp::Pow, Box::new(base), Box::new(exponent)), pos });
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Node> {
        let pos = self.pos();
        match self.peek().clone() {
            Tok::Num(v) => {
                self.bump();
                Ok(Node { ast: Ast::Num(v), pos })
            }
            Tok::Name(name) => {
                self.bump();
                if *self.peek() != Tok::LParen {
                    return Ok(Node { ast: Ast::Name(name), pos });
                }
                self.bump();
                let mut args = vec![self.sum()?];
                while *self.peek() == Tok::Comma {
                    self.bump();
                    args.push(self.sum()?);
                }
                self.expect_close()?;
                Ok(Node { ast: Ast::Call(name, args), pos })
            }
            Tok::LParen => {
                self.bump();
                let inner = self.sum()?;
                self.expect_close()?;
                Ok(inner)
            }
            _ => Err(self.unexpected()),
        }
    }

    fn expect_close(&mut self) -> Result<()> {
        if *self.peek() == Tok::RParen {
            self.bump();
            Ok(())
        } else {
            Err(error_at(self.text, self.pos(), "expected ')'"))
        }
    }
}

/// The syntax tree of `text`; errors give the byte position of the problem.
pub fn parse(text: &str) -> Result<Node> {
    if text.len() > MAX_LEN {
        return Err(CoreError::invalid("expr", format!("longer than {MAX_LEN} characters")));
    }
    let toks = lex(text)?;
    let mut p = Parser { text, toks, at: 0, depth: 0 };
    if *p.peek() == Tok::End {
        return Err(error_at(text, 0, "empty expression"));
    }
    let node = p.sum()?;
    if *p.peek() != Tok::End {
        return Err(p.unexpected());
    }
    Ok(node)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position(text: &str) -> usize {
        match parse(text) {
            Err(CoreError::InvalidInput { reason, .. }) => {
                let tail = reason.split("at position ").nth(1).unwrap();
                tail.split('\n').next().unwrap().parse().unwrap()
            }
            other => panic!("expected an error for {text:?}, got {other:?}"),
        }
    }

    #[test]
    fn precedence_and_associativity() {
        let n = parse("-a^b^c + 2*x").unwrap();
        let Ast::Bin(BinOp::Add, left, _) = n.ast else { panic!() };
        let Ast::Neg(inner) = left.ast else { panic!("unary minus binds looser than ^") };
        let Ast::Bin(BinOp::Pow, _, exponent) = inner.ast else { panic!() };
        assert!(matches!(exponent.ast, Ast::Bin(BinOp::Pow, _, _)), "^ is right-associative");
        let n = parse("N^-alpha").unwrap();
        let Ast::Bin(BinOp::Pow, _, e) = n.ast else { panic!() };
        assert!(matches!(e.ast, Ast::Neg(_)));
        assert_eq!(parse("2e-3").unwrap().ast, Ast::Num(2e-3));
        assert!(matches!(parse("a**2").unwrap().ast, Ast::Bin(BinOp::Pow, _, _)));
    }

    #[test]
    fn errors_point_at_the_problem() {
        assert_eq!(position("E + * N"), 4);
        assert_eq!(position("E + (A"), 6);
        assert_eq!(position("E + A $ N"), 6);
        assert_eq!(position("E +"), 3);
        assert_eq!(position("f(a,)"), 4);
        assert_eq!(position("1.2.3"), 0);
        assert_eq!(position(""), 0);
        assert_eq!(position("a b"), 2);
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let text = "(".repeat(5000) + "a" + &")".repeat(5000);
        assert!(parse(&text).is_err());
        let text = "-".repeat(5000) + "a";
        assert!(parse(&text).is_err());
        let text = "a^".repeat(3000) + "a";
        assert!(parse(&text).is_err());
    }
}
