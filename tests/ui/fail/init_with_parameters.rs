use lambda_core::lambda;

fn setup(table: String) -> String {
    table
}

#[lambda(init = setup)]
fn handler(event: String, table: &String) -> String {
    format!("{event} {table}")
}
