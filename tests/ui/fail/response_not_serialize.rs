use lambda_core::lambda;

pub struct Receipt {
    pub id: u64,
}

#[lambda]
fn handler(event: u64) -> Result<Receipt, String> {
    Ok(Receipt { id: event })
}
