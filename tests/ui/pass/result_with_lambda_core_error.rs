#![deny(warnings)]

// `lambda_core::Error` is the boxed error users of lambda_runtime write: `?` takes a
// `ParseIntError` and an `io::Error` in one handler.
use lambda_core::lambda;

#[lambda]
fn handler(path: String) -> Result<u64, lambda_core::Error> {
    let text = std::fs::read_to_string(&path)?;
    let number: u64 = text.trim().parse()?;
    if number == 0 {
        return Err("zero is not an order number".into());
    }
    Ok(number)
}
