use lambda_core::lambda;

#[derive(Debug)]
pub struct Opaque;

#[lambda]
fn handler(event: u64) -> Result<u64, Opaque> {
    if event == 0 { Err(Opaque) } else { Ok(event) }
}
