//! The transport's floor: the hand-written keep-alive loop over one `TcpStream`, copying
//! each event body into its response without parsing it.

#[path = "../../floor_loop.rs"]
mod floor_loop;

fn main() -> std::io::Result<()> {
    floor_loop::serve(|_body| Ok(()))
}
