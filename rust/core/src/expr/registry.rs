//! The laws defined in this process, by name: laws given by an expression (`ExprLaw`) and laws given
//! by a function of the host language (`FnLaw`), behind one `Law` so that every fit, bootstrap and
//! allocation finds them through `laws::get`.
//!
//! The `Law` trait hands out parameter and law names as `&'static str`, like the built-in laws'
//! literals; names are interned, so redefining a law any number of times does not grow memory.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock, Mutex, RwLock};

use super::callable::FnLaw;
use super::law::{Definition, ExprLaw};
use crate::error::{CoreError, Result};
use crate::laws::{self, Columns, Features, Law, ParamSpec, Space};

pub(super) fn intern(s: &str) -> &'static str {
    static INTERNED: LazyLock<Mutex<HashSet<&'static str>>> = LazyLock::new(|| Mutex::new(HashSet::new()));
    let mut set = INTERNED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(&v) = set.get(s) {
        return v;
    }
    let v: &'static str = Box::leak(s.to_string().into_boxed_str());
    set.insert(v);
    v
}

pub(super) fn intern_list(names: &[&str]) -> &'static [&'static str] {
    static LISTS: LazyLock<Mutex<HashMap<Vec<&'static str>, &'static [&'static str]>>> =
        LazyLock::new(|| Mutex::new(HashMap::new()));
    let key: Vec<&'static str> = names.iter().map(|n| intern(n)).collect();
    let mut map = LISTS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(&v) = map.get(&key) {
        return v;
    }
    let v: &'static [&'static str] = Box::leak(key.clone().into_boxed_slice());
    map.insert(key, v);
    v
}

pub(super) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A shared law is the law (the registry and the fits made with a defined law share one copy).
impl<L: Law + ?Sized> Law for Arc<L> {
    fn name(&self) -> &'static str {
        self.as_ref().name()
    }
    fn params(&self) -> &[ParamSpec] {
        self.as_ref().params()
    }
    fn inputs(&self) -> &'static [&'static str] {
        self.as_ref().inputs()
    }
    fn features(&self, cols: &Columns) -> Result<Features> {
        self.as_ref().features(cols)
    }
    fn predict_block(
        &self,
        theta: &[f64],
        feats: &Features,
        start: usize,
        end: usize,
        space: Space,
        pred: &mut [f64],
        jac: Option<&mut [f64]>,
    ) {
        self.as_ref().predict_block(theta, feats, start, end, space, pred, jac)
    }
    fn default_grid(&self) -> Vec<Vec<f64>> {
        self.as_ref().default_grid()
    }
    fn centring(&self) -> &[(usize, usize, usize)] {
        self.as_ref().centring()
    }
    fn chinchilla_form(&self) -> Option<[usize; 5]> {
        self.as_ref().chinchilla_form()
    }
    fn definition(&self) -> Option<&Definition> {
        self.as_ref().definition()
    }
    fn callable(&self) -> Option<&FnLaw> {
        self.as_ref().callable()
    }
    fn check_params(&self, theta: &[f64]) -> Result<()> {
        self.as_ref().check_params(theta)
    }
}

static REGISTRY: LazyLock<RwLock<HashMap<String, Arc<dyn Law>>>> = LazyLock::new(|| RwLock::new(HashMap::new()));

/// Register `law` under its name (replacing an earlier definition of that name; fits made with the
/// earlier one keep it). Built-in names cannot be redefined.
fn register<L: Law + 'static>(law: L) -> Result<Arc<L>> {
    let name = law.name();
    if laws::names().contains(&name) {
        return Err(CoreError::invalid("name", format!("{name:?} is a built-in law; choose another name")));
    }
    let law = Arc::new(law);
    let mut reg = REGISTRY.write().unwrap_or_else(|e| e.into_inner());
    reg.insert(name.to_string(), law.clone());
    Ok(law)
}

/// Build the law `def` describes and register it under its name.
pub fn define(def: Definition) -> Result<Arc<ExprLaw>> {
    if laws::names().contains(&def.name.as_str()) {
        return Err(CoreError::invalid("name", format!("{:?} is a built-in law; choose another name", def.name)));
    }
    register(ExprLaw::new(def)?)
}

/// Register a law given by a function (`FnLaw`) under its name.
pub fn define_fn(law: FnLaw) -> Result<Arc<FnLaw>> {
    register(law)
}

/// The defined law called `name`, if any.
pub fn lookup(name: &str) -> Option<Arc<dyn Law>> {
    REGISTRY.read().unwrap_or_else(|e| e.into_inner()).get(name).cloned()
}

/// Names of the defined laws, sorted.
pub fn defined_names() -> Vec<String> {
    let mut v: Vec<String> = REGISTRY.read().unwrap_or_else(|e| e.into_inner()).keys().cloned().collect();
    v.sort();
    v
}
