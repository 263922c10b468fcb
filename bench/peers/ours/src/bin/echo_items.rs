//! Echo through `#[lambda]`, decoding into a typed array of small objects.

#[path = "../../../shapes.rs"]
mod shapes;

#[lambda_core::lambda]
fn handler(event: Vec<shapes::Item>) -> Vec<shapes::Item> {
    event
}
