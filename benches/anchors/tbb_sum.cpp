// tbb_sum: the oneTBB anchor of shmkern's benchmarks. A child process that the
// Rust benchmark driver compiles with
//   g++ -O3 -march=native -std=c++17 -o <out> benches/anchors/tbb_sum.cpp -ltbb
// and spawns to time oneTBB's parallel_deterministic_reduce summing f64 values.
//
// Protocol.  Invocation: `tbb_sum <data_path> <count> <max_threads>`.
// data_path (in practice /proc/<pid>/fd/<fd> of the parent's memfd) holds at
// least <count> native f64 values; it is mapped read-only and shared, so the
// child reads the parent's pages without a copy.  Once mapped, one line
// `ready oneTBB ...` is printed; then stdin is read one command per line and
// each is answered with exactly one stdout line (stdout carries nothing else):
//   sum <threads> <n> <iters>  -> `<elapsed_ns> <bits>`: <iters> back-to-back
//        parallel_deterministic_reduce calls over data[0..n) in an arena of
//        <threads> threads (1..=max_threads, the calling thread included);
//   seq <n> <iters>            -> the same, leaf_sum(data, n) on this thread;
//   quit (or end of stdin)     -> exit 0;
//   anything malformed         -> `error <message>`, exit 1.
// <elapsed_ns> is the steady_clock time of the whole loop of <iters> calls
// (arena creation excluded); <bits> are the IEEE-754 bits of the last call's
// result as 16 lowercase hex digits.
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_reduce.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/version.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

// Leaf size of the reduction tree: shmkern's CHUNK_LEN (BLOCK_LEN 256 *
// CHUNK_BLOCKS 128), so both hand out work in pieces of about the same size.
// parallel_deterministic_reduce uses the simple partitioner, which halves a
// range until it is no larger than the grain (leaves of grain/2..grain
// elements, exactly the grain only when n is a power of two times it), so the
// tree -- and hence the result bits -- do not depend on the thread count.
static constexpr std::size_t GRAIN = 32768;

// The sequential kernel, as a careful C++ user writes it: 32 independent
// accumulators, element i of each full group of 32 going to s[i % 32], then a
// fixed pairwise combination, then the tail added in index order. Without
// -ffast-math GCC may not reorder additions, but the inner j-loop is 32
// independent lanes, which it packs into vector adds: on an AVX-512 CPU four
// zmm registers, four independent add chains (objdump, g++ 12). (Eight
// accumulators, tried first, packed into one zmm: a single chain, which ran an
// L2-resident leaf at 125 GB/s against 212 GB/s for shmkern's loop: a handicap
// of the loop, not of oneTBB.) Node's anchor keeps eight: V8 does not vectorize.
static double leaf_sum(const double* x, std::size_t len) {
    constexpr std::size_t W = 32;
    double s[W] = {};
    std::size_t i = 0;
    for (; i + W <= len; i += W)
        for (std::size_t j = 0; j < W; ++j) s[j] += x[i + j];
    for (std::size_t w = W / 2; w >= 1; w /= 2)
        for (std::size_t j = 0; j < w; ++j) s[j] = s[2 * j] + s[2 * j + 1];
    double t = s[0];
    for (; i < len; ++i) t += x[i];
    return t;
}

[[noreturn]] static void fail(const std::string& msg) {
    std::printf("error %s\n", msg.c_str());
    std::fflush(stdout);
    std::exit(1);
}

// Strict decimal parse: digits only (strtoull alone would accept "-1" or "+1").
static std::uint64_t parse_u64(const std::string& s, const char* what) {
    if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos)
        fail(std::string("bad ") + what + ": '" + s + "'");
    return std::strtoull(s.c_str(), nullptr, 10);
}

// Times `iters` calls of f; answers `<elapsed_ns> <bits of the last result>`.
template <class F>
static void run_timed(std::uint64_t iters, F f) {
    volatile double sink = 0.0;  // every result is stored: nothing is elided
    double last = 0.0;
    const auto t0 = std::chrono::steady_clock::now();
    for (std::uint64_t k = 0; k < iters; ++k) sink = last = f();
    const auto t1 = std::chrono::steady_clock::now();
    (void)sink;
    std::uint64_t bits;
    std::memcpy(&bits, &last, sizeof bits);
    const long long ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count();
    std::printf("%lld %016llx\n", ns, static_cast<unsigned long long>(bits));
    std::fflush(stdout);
}

int main(int argc, char** argv) {
    if (argc != 4) fail("usage: tbb_sum <data_path> <count> <max_threads>");
    const std::uint64_t count = parse_u64(argv[2], "count");
    const std::uint64_t max_threads = parse_u64(argv[3], "max_threads");
    if (count == 0) fail("count must be at least 1");
    if (max_threads == 0 || max_threads > 4096) fail("max_threads must be in 1..=4096");

    const int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(std::string("cannot open ") + argv[1] + ": " + std::strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) fail(std::string("fstat: ") + std::strerror(errno));
    if (st.st_size < 0 || static_cast<std::uint64_t>(st.st_size) / sizeof(double) < count)
        fail("data file holds " + std::to_string(st.st_size) + " bytes, fewer than " +
             std::to_string(count) + " f64 values");
    void* map = mmap(nullptr, count * sizeof(double), PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) fail(std::string("mmap: ") + std::strerror(errno));
    close(fd);  // the mapping stays valid
    const double* data = static_cast<const double*>(map);

    // Caps all of oneTBB's parallelism for the whole run; arenas are made lazily.
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, max_threads);
    std::map<std::uint64_t, std::unique_ptr<tbb::task_arena>> arenas;

    std::printf("ready oneTBB %d.%d (interface %d), parallel_deterministic_reduce, grain %zu, "
                "g++ -O3 -march=native\n",
                TBB_VERSION_MAJOR, TBB_VERSION_MINOR, TBB_INTERFACE_VERSION, GRAIN);
    std::fflush(stdout);

    std::string line;
    while (std::getline(std::cin, line)) {
        std::istringstream in(line);
        std::vector<std::string> tok;
        for (std::string w; in >> w;) tok.push_back(w);
        if (tok.size() == 1 && tok[0] == "quit") break;
        if (tok.size() == 4 && tok[0] == "sum") {
            const std::uint64_t threads = parse_u64(tok[1], "threads");
            const std::uint64_t n = parse_u64(tok[2], "n");
            const std::uint64_t iters = parse_u64(tok[3], "iters");
            if (threads == 0 || threads > max_threads) fail("threads out of 1..=max_threads");
            if (n == 0 || n > count) fail("n out of 1..=count");
            if (iters == 0) fail("iters must be at least 1");
            std::unique_ptr<tbb::task_arena>& arena = arenas[threads];
            if (!arena) {  // created and initialized before the timed loop
                arena = std::make_unique<tbb::task_arena>(static_cast<int>(threads));
                arena->initialize();
            }
            const auto body = [data](const tbb::blocked_range<std::size_t>& r, double init) {
                return init + leaf_sum(data + r.begin(), r.size());
            };
            run_timed(iters, [&] {
                double r = 0.0;
                arena->execute([&] {
                    r = tbb::parallel_deterministic_reduce(
                        tbb::blocked_range<std::size_t>(0, n, GRAIN), 0.0, body,
                        std::plus<double>());
                });
                return r;
            });
        } else if (tok.size() == 3 && tok[0] == "seq") {
            const std::uint64_t n = parse_u64(tok[1], "n");
            const std::uint64_t iters = parse_u64(tok[2], "iters");
            if (n == 0 || n > count) fail("n out of 1..=count");
            if (iters == 0) fail("iters must be at least 1");
            run_timed(iters, [&] { return leaf_sum(data, n); });
        } else {
            fail("malformed command: '" + line + "'");
        }
    }
    return 0;
}
