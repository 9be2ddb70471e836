// napi-build: the linker flags a Node addon needs (symbols resolved by the node process at load).
fn main() {
    napi_build::setup();
}
