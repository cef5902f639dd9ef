//! A pickle reader for the `data.pkl` that `torch.save` writes into its zip archive.
//!
//! It runs the pickle opcodes of protocols 2 to 5 (torch.save uses protocol 2) that
//! describe plain data: dicts, lists, tuples, numbers, strings, and the calls torch.save
//! emits to rebuild tensors (`torch._utils._rebuild_tensor_v2` on a storage named by a
//! persistent id). It never imports or runs Python code: any other class or call becomes
//! an opaque `Value::Object`, so checkpoints that also carry optimizer state, configs or
//! numpy scalars still load, and only their tensors are used.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use tch::Kind;

/// Storage in the archive's `data/<key>` entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StorageRef {
    pub key: String,
    pub kind: Kind,
    /// Number of elements of `kind`.
    pub numel: i64,
}

/// A tensor view of a storage, as `_rebuild_tensor_v2` describes it (offsets and strides
/// in elements).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TensorRef {
    pub storage: StorageRef,
    pub offset: i64,
    pub size: Vec<i64>,
    pub stride: Vec<i64>,
}

pub(crate) type Shared<T> = Rc<RefCell<T>>;

/// A value built by the pickle program. Dicts and lists are shared, because the memo
/// refers to the same object that later opcodes fill.
#[derive(Debug, Clone)]
#[allow(dead_code, reason = "scalar payloads and object names are read by Debug output and tests only")]
pub(crate) enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    /// Bytes are kept only as a marker; tensor data lives outside the pickle.
    Bytes,
    Tuple(Vec<Value>),
    List(Shared<Vec<Value>>),
    Dict(Shared<Vec<(Value, Value)>>),
    /// A class or function named by GLOBAL, not yet called.
    Global { module: String, name: String },
    /// A storage class such as `torch.FloatStorage` with the element kind it stands for.
    StorageType(Option<Kind>),
    Storage(StorageRef),
    Tensor(TensorRef),
    /// The result of calling anything this reader does not model.
    Object { module: String, name: String },
}

/// Error from running a pickle program.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PickleError(pub String);

impl std::fmt::Display for PickleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn error<T>(message: impl Into<String>) -> Result<T, PickleError> {
    Err(PickleError(message.into()))
}

/// Runs a pickle program and returns the value it leaves.
pub(crate) fn load(data: &[u8]) -> Result<Value, PickleError> {
    Machine { data, at: 0, stack: Vec::new(), marks: Vec::new(), memo: HashMap::new() }.run()
}

struct Machine<'a> {
    data: &'a [u8],
    at: usize,
    stack: Vec<Value>,
    /// Stack lengths at each MARK.
    marks: Vec<usize>,
    memo: HashMap<u64, Value>,
}

impl<'a> Machine<'a> {
    fn run(mut self) -> Result<Value, PickleError> {
        loop {
            let position = self.at;
            let opcode = self.bytes(1)?[0];
            match opcode {
                0x80 => {
                    let protocol = self.bytes(1)?[0];
                    if protocol > 5 {
                        return error(format!("pickle protocol {protocol} is newer than 5"));
                    }
                }
                0x95 => {
                    self.bytes(8)?; // FRAME: a length hint only
                }
                b'.' => return self.pop(),
                b'(' => self.marks.push(self.stack.len()),
                b'0' => {
                    self.pop()?;
                }
                b'1' => {
                    self.pop_mark()?;
                }
                b'2' => {
                    let top = self.top()?.clone();
                    self.stack.push(top);
                }
                b'N' => self.stack.push(Value::None),
                0x88 => self.stack.push(Value::Bool(true)),
                0x89 => self.stack.push(Value::Bool(false)),
                b'J' => {
                    let value = i32::from_le_bytes(self.array()?);
                    self.stack.push(Value::Int(value as i64));
                }
                b'K' => {
                    let value = self.bytes(1)?[0];
                    self.stack.push(Value::Int(value as i64));
                }
                b'M' => {
                    let value = u16::from_le_bytes(self.array()?);
                    self.stack.push(Value::Int(value as i64));
                }
                0x8a => {
                    let len = self.bytes(1)?[0] as usize;
                    let value = self.long(len)?;
                    self.stack.push(value);
                }
                0x8b => {
                    let len = u32::from_le_bytes(self.array()?) as usize;
                    let value = self.long(len)?;
                    self.stack.push(value);
                }
                b'I' | b'L' => {
                    let line = self.line()?;
                    let value = parse_text_int(&line)?;
                    self.stack.push(value);
                }
                b'G' => {
                    let value = f64::from_be_bytes(self.array()?);
                    self.stack.push(Value::Float(value));
                }
                b'F' => {
                    let line = self.line()?;
                    let value = line.trim().parse().map_err(|_| PickleError(format!("FLOAT: expected a number, got {line:?}")))?;
                    self.stack.push(Value::Float(value));
                }
                0x8c => {
                    let len = self.bytes(1)?[0] as usize;
                    self.push_text(len)?;
                }
                b'X' => {
                    let len = u32::from_le_bytes(self.array()?) as usize;
                    self.push_text(len)?;
                }
                0x8d => {
                    let len = self.length_u64()?;
                    self.push_text(len)?;
                }
                b'U' => {
                    let len = self.bytes(1)?[0] as usize;
                    self.push_text(len)?;
                }
                b'T' => {
                    let len = u32::from_le_bytes(self.array()?) as usize;
                    self.push_text(len)?;
                }
                b'C' => {
                    let len = self.bytes(1)?[0] as usize;
                    self.push_bytes(len)?;
                }
                b'B' => {
                    let len = u32::from_le_bytes(self.array()?) as usize;
                    self.push_bytes(len)?;
                }
                0x8e | 0x96 => {
                    let len = self.length_u64()?;
                    self.push_bytes(len)?;
                }
                b')' => self.stack.push(Value::Tuple(Vec::new())),
                b't' => {
                    let items = self.pop_mark()?;
                    self.stack.push(Value::Tuple(items));
                }
                0x85..=0x87 => {
                    let count = (opcode - 0x84) as usize;
                    let items = self.pop_n(count)?;
                    self.stack.push(Value::Tuple(items));
                }
                b']' => self.stack.push(Value::List(shared(Vec::new()))),
                b'l' => {
                    let items = self.pop_mark()?;
                    self.stack.push(Value::List(shared(items)));
                }
                0x8f => self.stack.push(Value::List(shared(Vec::new()))),
                b'a' => {
                    let item = self.pop()?;
                    self.extend_list(vec![item])?;
                }
                b'e' | 0x90 => {
                    let items = self.pop_mark()?;
                    self.extend_list(items)?;
                }
                0x91 => {
                    let items = self.pop_mark()?;
                    self.stack.push(Value::Tuple(items));
                }
                b'}' => self.stack.push(Value::Dict(shared(Vec::new()))),
                b'd' => {
                    let items = self.pop_mark()?;
                    let pairs = pairs(items)?;
                    self.stack.push(Value::Dict(shared(pairs)));
                }
                b's' => {
                    let value = self.pop()?;
                    let key = self.pop()?;
                    self.extend_dict(vec![(key, value)])?;
                }
                b'u' => {
                    let items = self.pop_mark()?;
                    let pairs = pairs(items)?;
                    self.extend_dict(pairs)?;
                }
                b'c' => {
                    let module = self.line()?;
                    let name = self.line()?;
                    self.stack.push(global(module, name));
                }
                0x93 => {
                    let name = self.pop_string("STACK_GLOBAL")?;
                    let module = self.pop_string("STACK_GLOBAL")?;
                    self.stack.push(global(module, name));
                }
                b'R' => {
                    let args = self.pop()?;
                    let callable = self.pop()?;
                    let value = call(callable, args)?;
                    self.stack.push(value);
                }
                0x81 => {
                    let args = self.pop()?;
                    let class = self.pop()?;
                    let value = call(class, args)?;
                    self.stack.push(value);
                }
                0x92 => {
                    let _kwargs = self.pop()?;
                    let args = self.pop()?;
                    let class = self.pop()?;
                    let value = call(class, args)?;
                    self.stack.push(value);
                }
                b'b' => {
                    // BUILD sets the state of the object below it. The state is dropped,
                    // because none of the values modelled here uses it (an OrderedDict's
                    // state is its `_metadata` attribute).
                    self.pop()?;
                    self.top()?;
                }
                b'Q' => {
                    let id = self.pop()?;
                    let value = persistent_load(id)?;
                    self.stack.push(value);
                }
                b'p' => {
                    let line = self.line()?;
                    let index = line.trim().parse().map_err(|_| PickleError(format!("PUT: expected an index, got {line:?}")))?;
                    self.memoize(index)?;
                }
                b'q' => {
                    let index = self.bytes(1)?[0] as u64;
                    self.memoize(index)?;
                }
                b'r' => {
                    let index = u32::from_le_bytes(self.array()?) as u64;
                    self.memoize(index)?;
                }
                0x94 => {
                    let index = self.memo.len() as u64;
                    self.memoize(index)?;
                }
                b'g' => {
                    let line = self.line()?;
                    let index = line.trim().parse().map_err(|_| PickleError(format!("GET: expected an index, got {line:?}")))?;
                    self.recall(index)?;
                }
                b'h' => {
                    let index = self.bytes(1)?[0] as u64;
                    self.recall(index)?;
                }
                b'j' => {
                    let index = u32::from_le_bytes(self.array()?) as u64;
                    self.recall(index)?;
                }
                other => return error(format!("unsupported pickle opcode 0x{other:02x} at byte {position}")),
            }
        }
    }

    fn bytes(&mut self, len: usize) -> Result<&'a [u8], PickleError> {
        let end = self.at.checked_add(len).filter(|&end| end <= self.data.len());
        let Some(end) = end else {
            return error(format!("pickle data ends at byte {} inside an opcode", self.data.len()));
        };
        let slice = &self.data[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], PickleError> {
        Ok(self.bytes(N)?.try_into().expect("slice of N bytes"))
    }

    fn length_u64(&mut self) -> Result<usize, PickleError> {
        let len = u64::from_le_bytes(self.array()?);
        usize::try_from(len).map_err(|_| PickleError(format!("length {len} does not fit in memory")))
    }

    fn line(&mut self) -> Result<String, PickleError> {
        let rest = &self.data[self.at..];
        let Some(end) = rest.iter().position(|&byte| byte == b'\n') else {
            return error("pickle data ends inside a text argument");
        };
        self.at += end + 1;
        Ok(String::from_utf8_lossy(&rest[..end]).into_owned())
    }

    fn long(&mut self, len: usize) -> Result<Value, PickleError> {
        let bytes = self.bytes(len)?;
        if len > 8 {
            // Larger integers only appear in data this reader ignores (numpy RNG states).
            return Ok(Value::Object { module: "builtins".into(), name: "int".into() });
        }
        let negative = bytes.last().is_some_and(|&byte| byte & 0x80 != 0);
        let mut buffer = if negative { [0xFF; 8] } else { [0; 8] };
        buffer[..len].copy_from_slice(bytes);
        Ok(Value::Int(i64::from_le_bytes(buffer)))
    }

    fn push_text(&mut self, len: usize) -> Result<(), PickleError> {
        let text = String::from_utf8_lossy(self.bytes(len)?).into_owned();
        self.stack.push(Value::String(text));
        Ok(())
    }

    fn push_bytes(&mut self, len: usize) -> Result<(), PickleError> {
        self.bytes(len)?;
        self.stack.push(Value::Bytes);
        Ok(())
    }

    fn pop(&mut self) -> Result<Value, PickleError> {
        if self.marks.last().is_some_and(|&mark| mark >= self.stack.len()) {
            return error("pickle program pops past a MARK");
        }
        self.stack.pop().ok_or_else(|| PickleError("pickle program pops an empty stack".into()))
    }

    fn pop_n(&mut self, count: usize) -> Result<Vec<Value>, PickleError> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() < floor + count {
            return error(format!("pickle program needs {count} values on the stack"));
        }
        Ok(self.stack.split_off(self.stack.len() - count))
    }

    fn pop_mark(&mut self) -> Result<Vec<Value>, PickleError> {
        let mark = self.marks.pop().ok_or_else(|| PickleError("pickle program has no MARK to pop to".into()))?;
        Ok(self.stack.split_off(mark))
    }

    fn pop_string(&mut self, opcode: &str) -> Result<String, PickleError> {
        match self.pop()? {
            Value::String(text) => Ok(text),
            other => error(format!("{opcode}: expected a string, got {}", type_name(&other))),
        }
    }

    fn top(&self) -> Result<&Value, PickleError> {
        self.stack.last().ok_or_else(|| PickleError("pickle program reads an empty stack".into()))
    }

    fn memoize(&mut self, index: u64) -> Result<(), PickleError> {
        let value = self.top()?.clone();
        self.memo.insert(index, value);
        Ok(())
    }

    fn recall(&mut self, index: u64) -> Result<(), PickleError> {
        let value = self.memo.get(&index).cloned().ok_or_else(|| PickleError(format!("memo index {index} was never stored")))?;
        self.stack.push(value);
        Ok(())
    }

    fn extend_list(&mut self, items: Vec<Value>) -> Result<(), PickleError> {
        match self.top()? {
            Value::List(list) => list.borrow_mut().extend(items),
            // Appending to an opaque object (a set, a deque) keeps it opaque.
            Value::Object { .. } => {}
            other => return error(format!("APPEND: expected a list, got {}", type_name(other))),
        }
        Ok(())
    }

    fn extend_dict(&mut self, items: Vec<(Value, Value)>) -> Result<(), PickleError> {
        match self.top()? {
            Value::Dict(dict) => dict.borrow_mut().extend(items),
            Value::Object { .. } => {}
            other => return error(format!("SETITEM: expected a dict, got {}", type_name(other))),
        }
        Ok(())
    }
}

fn shared<T>(value: T) -> Shared<T> {
    Rc::new(RefCell::new(value))
}

fn pairs(items: Vec<Value>) -> Result<Vec<(Value, Value)>, PickleError> {
    if !items.len().is_multiple_of(2) {
        return error(format!("SETITEMS: expected key-value pairs, got {} values", items.len()));
    }
    let mut items = items.into_iter();
    let mut pairs = Vec::new();
    while let (Some(key), Some(value)) = (items.next(), items.next()) {
        pairs.push((key, value));
    }
    Ok(pairs)
}

fn parse_text_int(line: &str) -> Result<Value, PickleError> {
    let text = line.trim().trim_end_matches('L');
    match text {
        "00" => Ok(Value::Bool(false)),
        "01" => Ok(Value::Bool(true)),
        _ => text.parse().map(Value::Int).map_err(|_| PickleError(format!("INT: expected an integer, got {line:?}"))),
    }
}

fn global(module: String, name: String) -> Value {
    if module == "torch" && name.ends_with("Storage") {
        return Value::StorageType(storage_kind(&name));
    }
    Value::Global { module, name }
}

/// Maps a storage class as torch.save names it (`torch.FloatStorage`) to its element kind.
fn storage_kind(name: &str) -> Option<Kind> {
    Some(match name {
        "DoubleStorage" => Kind::Double,
        "FloatStorage" => Kind::Float,
        "HalfStorage" => Kind::Half,
        "BFloat16Storage" => Kind::BFloat16,
        "LongStorage" => Kind::Int64,
        "IntStorage" => Kind::Int,
        "ShortStorage" => Kind::Int16,
        "CharStorage" => Kind::Int8,
        "ByteStorage" | "UntypedStorage" => Kind::Uint8,
        "BoolStorage" => Kind::Bool,
        "ComplexFloatStorage" => Kind::ComplexFloat,
        "ComplexDoubleStorage" => Kind::ComplexDouble,
        _ => return None,
    })
}

/// Resolves torch.save's persistent id `('storage', storage_type, key, location, numel)`.
fn persistent_load(id: Value) -> Result<Value, PickleError> {
    let Value::Tuple(fields) = id else {
        return error(format!("persistent id: expected a tuple, got {}", type_name(&id)));
    };
    match fields.as_slice() {
        [Value::String(tag), storage_type, Value::String(key), _location, Value::Int(numel)] if tag == "storage" => {
            match storage_type {
                Value::StorageType(Some(kind)) => Ok(Value::Storage(StorageRef { key: key.clone(), kind: *kind, numel: *numel })),
                // A storage of a kind this reader cannot build (float8, quantised) only
                // matters if a backbone tensor uses it, and then that key fails to load.
                _ => Ok(Value::Object { module: "torch".into(), name: "Storage".into() }),
            }
        }
        _ => error(format!("persistent id: expected ('storage', type, key, location, numel), got a tuple of {}", fields.len())),
    }
}

/// Applies a callable to its arguments: the functions torch.save uses to rebuild tensors
/// and dicts are modelled, every other call yields an opaque object.
fn call(callable: Value, args: Value) -> Result<Value, PickleError> {
    let Value::Global { module, name } = callable else {
        return Ok(Value::Object { module: "?".into(), name: type_name(&callable).into() });
    };
    let args = match args {
        Value::Tuple(items) => items,
        other => vec![other],
    };
    match (module.as_str(), name.as_str()) {
        ("torch._utils", "_rebuild_tensor_v2" | "_rebuild_tensor") => rebuild_tensor(&args),
        ("torch._utils", "_rebuild_parameter" | "_rebuild_parameter_with_state") => match args.into_iter().next() {
            Some(tensor @ Value::Tensor(_)) => Ok(tensor),
            _ => error("_rebuild_parameter: expected a tensor as the first argument"),
        },
        ("torch._tensor", "_rebuild_from_type_v2") => {
            // (function, subclass, arguments, state): rebuild with the function, drop the subclass.
            let mut args = args.into_iter();
            match (args.next(), args.next(), args.next()) {
                (Some(function), Some(_), Some(inner)) => call(function, inner),
                _ => error("_rebuild_from_type_v2: expected (function, type, args, state)"),
            }
        }
        ("collections", "OrderedDict") | ("builtins", "dict") => {
            let mut dict = Vec::new();
            if let Some(Value::List(items)) = args.first() {
                for item in items.borrow().iter() {
                    if let Value::Tuple(pair) = item {
                        if let [key, value] = pair.as_slice() {
                            dict.push((key.clone(), value.clone()));
                        }
                    }
                }
            }
            Ok(Value::Dict(shared(dict)))
        }
        ("torch", "Size") => match args.into_iter().next() {
            Some(sizes @ Value::Tuple(_)) => Ok(sizes),
            _ => Ok(Value::Tuple(Vec::new())),
        },
        _ => Ok(Value::Object { module, name }),
    }
}

fn rebuild_tensor(args: &[Value]) -> Result<Value, PickleError> {
    let [storage, Value::Int(offset), size, stride, ..] = args else {
        return error("_rebuild_tensor_v2: expected (storage, offset, size, stride, ...)");
    };
    let storage = match storage {
        Value::Storage(storage) => storage.clone(),
        // A storage of an unsupported kind gives an opaque tensor.
        _ => return Ok(Value::Object { module: "torch".into(), name: "Tensor".into() }),
    };
    Ok(Value::Tensor(TensorRef { storage, offset: *offset, size: int_tuple(size, "size")?, stride: int_tuple(stride, "stride")? }))
}

fn int_tuple(value: &Value, what: &str) -> Result<Vec<i64>, PickleError> {
    let Value::Tuple(items) = value else {
        return error(format!("_rebuild_tensor_v2: {what}: expected a tuple, got {}", type_name(value)));
    };
    items
        .iter()
        .map(|item| match item {
            Value::Int(value) => Ok(*value),
            other => error(format!("_rebuild_tensor_v2: {what}: expected integers, got {}", type_name(other))),
        })
        .collect()
}

pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::None => "None",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Float(_) => "float",
        Value::String(_) => "str",
        Value::Bytes => "bytes",
        Value::Tuple(_) => "tuple",
        Value::List(_) => "list",
        Value::Dict(_) => "dict",
        Value::Global { .. } => "global",
        Value::StorageType(_) => "storage type",
        Value::Storage(_) => "storage",
        Value::Tensor(_) => "tensor",
        Value::Object { .. } => "object",
    }
}

/// Collects every tensor reachable through dicts, lists and tuples, keyed by the path of
/// dict keys and list indices joined with dots (`model.teacher.backbone.cls_token`).
/// Dict keys that are neither strings nor integers are skipped; so are values nested more
/// than 32 levels deep, which also ends self-referencing structures.
pub(crate) fn tensors(value: &Value) -> Vec<(String, TensorRef)> {
    let mut found = Vec::new();
    collect(value, String::new(), 0, &mut found);
    found
}

fn collect(value: &Value, path: String, depth: usize, found: &mut Vec<(String, TensorRef)>) {
    const MAX_DEPTH: usize = 32;
    if depth > MAX_DEPTH {
        return;
    }
    let join = |key: &str| if path.is_empty() { key.to_string() } else { format!("{path}.{key}") };
    match value {
        Value::Tensor(tensor) => found.push((path, tensor.clone())),
        Value::Dict(dict) => {
            for (key, item) in dict.borrow().iter() {
                let key = match key {
                    Value::String(key) => key.clone(),
                    Value::Int(key) => key.to_string(),
                    _ => continue,
                };
                collect(item, join(&key), depth + 1, found);
            }
        }
        Value::List(items) => {
            for (index, item) in items.borrow().iter().enumerate() {
                collect(item, join(&index.to_string()), depth + 1, found);
            }
        }
        Value::Tuple(items) => {
            for (index, item) in items.iter().enumerate() {
                collect(item, join(&index.to_string()), depth + 1, found);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pickle of `{"a": [1, -2, 3.5, "x"], "b": True}` at protocol 2, as
    /// `pickle.dumps` of CPython 3.11 writes it.
    const SMALL: &[u8] = b"\x80\x02}q\x00(X\x01\x00\x00\x00aq\x01]q\x02(K\x01J\xfe\xff\xff\xffG@\x0c\x00\x00\x00\x00\x00\x00X\x01\x00\x00\x00xq\x03eX\x01\x00\x00\x00bq\x04\x88u.";

    #[test]
    fn plain_data_round_trips() {
        let Value::Dict(dict) = load(SMALL).unwrap() else { panic!("expected a dict") };
        let dict = dict.borrow();
        assert_eq!(dict.len(), 2);
        let Value::List(list) = &dict[0].1 else { panic!("expected a list") };
        let list = list.borrow();
        assert!(matches!(list[0], Value::Int(1)));
        assert!(matches!(list[1], Value::Int(-2)));
        assert!(matches!(list[2], Value::Float(value) if value == 3.5));
        assert!(matches!(&list[3], Value::String(text) if text == "x"));
        assert!(matches!(dict[1].1, Value::Bool(true)));
    }

    #[test]
    fn truncated_program_is_an_error() {
        let error = load(&SMALL[..SMALL.len() - 6]).unwrap_err();
        assert!(error.0.contains("ends"), "{error}");
    }

    #[test]
    fn memo_shares_the_filled_dict() {
        // EMPTY_DICT, BINPUT 0, then fill it, then fetch it again with BINGET 0 into a
        // tuple: both references see the filled dict, as in Python.
        let program = b"\x80\x02}q\x00X\x01\x00\x00\x00kK\x07sh\x00\x86.";
        let Value::Tuple(items) = load(program).unwrap() else { panic!("expected a tuple") };
        for item in &items {
            let Value::Dict(dict) = item else { panic!("expected a dict") };
            assert_eq!(dict.borrow().len(), 1);
        }
    }

    #[test]
    fn unknown_calls_become_opaque_objects() {
        // argparse.Namespace() with a BUILD of its attributes, as training scripts save.
        let program = b"\x80\x02cargparse\nNamespace\n)R}X\x02\x00\x00\x00lrG?\xb9\x99\x99\x99\x99\x99\x9asb.";
        let Value::Object { module, name } = load(program).unwrap() else { panic!("expected an opaque object") };
        assert_eq!(module, "argparse");
        assert_eq!(name, "Namespace");
    }

    #[test]
    fn unsupported_opcode_is_named() {
        let error = load(b"\x80\x02\x82\x01.").unwrap_err();
        assert!(error.0.contains("0x82"), "{error}");
    }
}
