fn main() {
    let path = std::env::args().nth(1).expect("path");
    let data = std::fs::read(&path).expect("read");
    let r = persistence::file::read_rdb(&data, |e| {
        println!("{e:?}");
        Ok(())
    });
    println!("=> {r:?}");
}
