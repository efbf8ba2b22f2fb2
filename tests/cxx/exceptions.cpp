/* exceptions.cpp -- C++ exceptions end to end (ctest cxx.exceptions): built natively and for
 * wasm32-wasi with -fwasm-exceptions (plus eh_runtime.c), run natively and through `kiln run`,
 * and the two outputs must be identical.
 *
 * Each section prints what it catches and the order in which destructors run, so a wrong
 * handler, a missed cleanup or a destructor run twice shows up as a diff. The program only
 * prints what the language defines: no addresses, no sizes, no copies the compiler may elide,
 * and no exception ever escapes main (termination output differs between runtimes). Besides
 * the C library it uses only std::exception, whose members the ABI library defines: no libc++
 * function that would need exceptions itself (Debian's wasm32 libc++ is built without). */
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

namespace
{

int failures; // self-checks that failed (each also prints a line)

// Reached code that a correct runtime never reaches (a wrong handler, say).
void wrong(const char *what)
{
    std::printf("  FAIL: %s\n", what);
    failures++;
}

void check(bool ok, const char *what)
{
    if (!ok)
        wrong(what);
}

// A local whose construction and destruction print, to show unwinding order.
int tracked_live;
struct Tracked {
    const char *name;
    explicit Tracked(const char *n) : name(n)
    {
        tracked_live++;
        std::printf("  + %s\n", name);
    }
    Tracked(const Tracked &) = delete;
    Tracked &operator=(const Tracked &) = delete;
    ~Tracked()
    {
        tracked_live--;
        std::printf("  - %s\n", name);
    }
};

// A string that owns a malloc'd copy of its text; the live count catches a destructor that
// runs twice or never. Copies are made quietly (the compiler may elide some).
int text_live;
class Text
{
  public:
    explicit Text(const char *s) : buf(copy(s))
    {
        text_live++;
    }
    Text(const Text &other) : buf(copy(other.buf))
    {
        text_live++;
    }
    Text &operator=(const Text &other)
    {
        if (this != &other) {
            std::free(buf);
            buf = copy(other.buf);
        }
        return *this;
    }
    ~Text()
    {
        std::free(buf);
        text_live--;
    }
    const char *c_str() const
    {
        return buf;
    }
    std::size_t size() const
    {
        return std::strlen(buf);
    }

  private:
    static char *copy(const char *s)
    {
        std::size_t n = std::strlen(s) + 1;
        char *p = static_cast<char *>(std::malloc(n));
        std::memcpy(p, s, n);
        return p;
    }
    char *buf;
};

// An exception class with a string member.
struct Failure {
    int code;
    Text message;
};

// An exception object that says when it is destroyed (caught by reference only, so there
// are no copies to count).
struct Noisy {
    const char *name;
    explicit Noisy(const char *n) : name(n) {}
    Noisy(const Noisy &) = delete;
    ~Noisy()
    {
        std::printf("  ~Noisy(%s)\n", name);
    }
};

// ---- Class hierarchies ------------------------------------------------------------------

struct Base {
    int base_value = 10;
    virtual ~Base() = default;
    virtual const char *who() const
    {
        return "Base";
    }
};
struct Mid : Base {
    const char *who() const override
    {
        return "Mid";
    }
};
struct Leaf : Mid {
    int leaf_value = 30;
    const char *who() const override
    {
        return "Leaf";
    }
};

// Multiple inheritance: Right sits at a non-zero offset inside Both.
struct Left {
    int left_value = 1;
    virtual ~Left() = default;
};
struct Right {
    int right_value = 2;
    virtual ~Right() = default;
};
struct Both : Left, Right {
    int both_value = 3;
};

// A virtual diamond: one VBase subobject, found through the vtable.
struct VBase {
    int v = 7;
    virtual ~VBase() = default;
};
struct VLeft : virtual VBase {
    int vl = 1;
};
struct VRight : virtual VBase {
    int vr = 2;
};
struct Diamond : VLeft, VRight {
    int d = 4;
};

// A non-virtual diamond: two Plain subobjects, so catch (Plain &) must not match.
struct Plain {
    int p = 5;
};
struct PlainA : Plain {
};
struct PlainB : Plain {
    int b = 6;
};
struct TwoPlains : PlainA, PlainB {
};

// A private base does not make a handler for it match.
struct Hidden : private Base {
    int hidden_value = 11;
};

// A std::exception subclass (std::exception's own members live in the ABI library).
struct AppError : std::exception {
    const char *what() const noexcept override
    {
        return "AppError";
    }
};

// ---- Sections -----------------------------------------------------------------------------

void basic_types()
{
    std::printf("basic types\n");
    try {
        throw 42;
    } catch (int i) {
        std::printf("  int %d\n", i);
    }
    try {
        throw 2.5;
    } catch (int) {
        wrong("double caught as int");
    } catch (double d) {
        std::printf("  double %.2f\n", d);
    }
    try {
        throw 'x';
    } catch (const char &c) {
        std::printf("  char %c\n", c);
    }
    try {
        throw 7L;
    } catch (int) {
        wrong("long caught as int");
    } catch (unsigned long) {
        wrong("long caught as unsigned long");
    } catch (long l) {
        std::printf("  long %ld\n", l);
    }
    try {
        throw Failure{404, Text("not found")};
    } catch (const Failure &f) {
        std::printf("  Failure %d %s (%zu chars)\n", f.code, f.message.c_str(), f.message.size());
    }
    try {
        throw Failure{500, Text("by value")};
    } catch (Failure f) {
        f.code++;
        std::printf("  Failure copy %d %s\n", f.code, f.message.c_str());
    }
    try {
        throw AppError();
    } catch (const std::exception &e) {
        std::printf("  std::exception %s\n", e.what());
    }
    enum class Color { red, green };
    try {
        throw Color::green;
    } catch (Color c) {
        std::printf("  enum %d\n", static_cast<int>(c));
    }
    check(text_live == 0, "Text objects leaked in basic_types");
}

// In its own function: a handler for PlainB after one for Plain in the same try would be
// unreachable for anything but a TwoPlains, and clang warns about that.
void throw_two_plains()
{
    try {
        throw TwoPlains();
    } catch (Plain &) {
        wrong("ambiguous base matched");
    }
}

void class_hierarchies()
{
    std::printf("class hierarchies\n");
    try {
        throw Leaf();
    } catch (Base &b) {
        std::printf("  Leaf as Base&: %s %d\n", b.who(), b.base_value);
    }
    try {
        throw Leaf();
    } catch (const Mid &m) {
        std::printf("  Leaf as const Mid&: %s\n", m.who());
    }
    try {
        throw Mid();
    } catch (Leaf &) {
        wrong("Mid caught as Leaf");
    } catch (Mid &m) {
        std::printf("  Mid as Mid&: %s\n", m.who());
    }
    try {
        throw Both();
    } catch (Right &r) {
        // The handler must see the Right subobject, not the start of Both.
        std::printf("  Both as Right&: %d %d\n", r.right_value, dynamic_cast<Both &>(r).both_value);
    }
    try {
        throw Both();
    } catch (Left &l) {
        std::printf("  Both as Left&: %d\n", l.left_value);
    }
    try {
        throw Diamond();
    } catch (VBase &v) {
        std::printf("  Diamond as VBase&: %d %d\n", v.v, dynamic_cast<Diamond &>(v).d);
    }
    try {
        throw Diamond();
    } catch (VRight &r) {
        std::printf("  Diamond as VRight&: %d %d\n", r.vr, r.v);
    }
    try {
        throw_two_plains();
    } catch (PlainB &b) {
        std::printf("  TwoPlains as PlainB& (Plain& is ambiguous): %d\n", b.p);
    }
    try {
        throw Hidden();
    } catch (Base &) {
        wrong("private base matched");
    } catch (Hidden &h) {
        std::printf("  Hidden as Hidden& (Base is private): %d\n", h.hidden_value);
    }
    // By value (non-polymorphic classes: GCC warns about slicing polymorphic ones).
    try {
        throw PlainB();
    } catch (PlainB b) {
        std::printf("  PlainB by value: %d %d\n", b.p, b.b);
    }
    try {
        throw PlainB();
    } catch (Plain p) {
        std::printf("  PlainB sliced to Plain: %d\n", p.p);
    }
}

Both both_object;
Leaf leaf_object;
int int_object = 99;

void pointers()
{
    std::printf("pointers\n");
    try {
        throw &both_object;
    } catch (Right *r) {
        check(r == static_cast<Right *>(&both_object), "Both* as Right* not adjusted");
        std::printf("  Both* as Right*: %d\n", r->right_value);
    }
    try {
        throw &leaf_object;
    } catch (const Base *b) {
        std::printf("  Leaf* as const Base*: %s\n", b->who());
    }
    try {
        throw &int_object;
    } catch (void *p) {
        std::printf("  int* as void*: %d\n", *static_cast<int *>(p));
    }
    try {
        throw static_cast<const int *>(&int_object);
    } catch (int *) {
        wrong("const int* caught as int*");
    } catch (const volatile void *) {
        std::printf("  const int* as const volatile void*\n");
    }
    try {
        throw static_cast<Leaf *>(nullptr);
    } catch (Mid *m) {
        check(m == nullptr, "null Leaf* as Mid* not null");
        std::printf("  null Leaf* as Mid*\n");
    }
    try {
        throw nullptr;
    } catch (Base *b) {
        check(b == nullptr, "nullptr as Base* not null");
        std::printf("  nullptr as Base*\n");
    }
    try {
        throw &Leaf::leaf_value;
    } catch (int Leaf::*member) {
        std::printf("  pointer to member: %d\n", leaf_object.*member);
    }
    try {
        throw "a string literal";
    } catch (const char *s) {
        std::printf("  const char*: %s\n", s);
    }
    try {
        throw &both_object;
    } catch (Base *) {
        wrong("Both* caught as unrelated Base*");
    } catch (Left *const &l) {
        std::printf("  Both* as Left* const&: %d\n", l->left_value);
    }
}

void catch_all()
{
    std::printf("catch (...)\n");
    try {
        throw 1;
    } catch (...) {
        std::printf("  int\n");
    }
    try {
        throw Noisy("anything");
    } catch (...) {
        std::printf("  Noisy\n");
    }
    try {
        throw &int_object;
    } catch (double) {
        wrong("int* as double");
    } catch (...) {
        std::printf("  int* after a double handler\n");
    }
}

void rethrow_helper()
{
    std::printf("  rethrowing from a called function\n");
    throw;
}

void rethrow()
{
    std::printf("rethrow\n");
    const void *first = nullptr;
    try {
        try {
            throw Noisy("rethrown");
        } catch (Noisy &n) {
            first = &n;
            std::printf("  inner handler %s\n", n.name);
            throw;
        }
    } catch (const Noisy &n) {
        check(&n == first, "the rethrown exception is another object");
        std::printf("  outer handler %s\n", n.name);
    }
    std::printf("  after the outer handler\n");

    try {
        try {
            throw Leaf();
        } catch (Base &) {
            rethrow_helper();
        }
    } catch (Leaf &l) {
        std::printf("  rethrown Leaf caught as Leaf&: %d\n", l.leaf_value);
    }

    // A second exception thrown and caught inside a handler, then the first rethrown: the
    // caught-exception stack must give `throw;` the first one back.
    try {
        try {
            throw Noisy("first");
        } catch (Noisy &outer) {
            try {
                throw Noisy("second");
            } catch (Noisy &inner) {
                std::printf("  nested handler %s inside %s\n", inner.name, outer.name);
            }
            throw;
        }
    } catch (Noisy &n) {
        std::printf("  rethrown after a nested one: %s\n", n.name);
    }

    // A handler that throws a new exception: the old one ends when the handler is left.
    try {
        try {
            throw Noisy("old");
        } catch (Noisy &) {
            throw Noisy("new");
        }
    } catch (Noisy &n) {
        std::printf("  replaced by %s\n", n.name);
    }

    // `throw;` inside a try within the handler: the same exception is caught twice at once.
    try {
        throw Noisy("twice");
    } catch (Noisy &outer) {
        try {
            throw;
        } catch (Noisy &inner) {
            check(&inner == &outer, "caught again as another object");
            std::printf("  caught again: %s\n", inner.name);
        }
        std::printf("  still held by the outer handler: %s\n", outer.name);
    }
}

int nested_level(int n)
{
    try {
        if (n == 0)
            throw n;
        return nested_level(n - 1);
    } catch (double) {
        wrong("an int caught by a double handler");
        return -1;
    }
}

void nested_tries()
{
    std::printf("nested try blocks\n");
    try {
        Tracked a("outer local");
        try {
            Tracked b("inner local");
            throw 5;
        } catch (double) {
            wrong("inner double handler");
        }
        wrong("after the inner try");
    } catch (int i) {
        std::printf("  outer handler %d\n", i);
    }
    try {
        try {
            throw 6;
        } catch (int i) {
            std::printf("  inner handler %d\n", i);
            try {
                throw i + 1;
            } catch (int j) {
                std::printf("  handler inside a handler %d\n", j);
                throw j + 1;
            }
        }
    } catch (int k) {
        std::printf("  outer handler %d\n", k);
    }
    try {
        nested_level(20);
    } catch (int i) {
        std::printf("  through 20 frames with handlers for other types: %d\n", i);
    }
}

// ---- Exceptions across frames, indirect and virtual calls --------------------------------

int depth_reached;

void descend(int depth, int throw_at)
{
    depth_reached = depth;
    if (depth == throw_at)
        throw Failure{depth, Text("deep")};
    if (depth % 10 == 0) {
        // Only every tenth frame has a destructor to run; the others have no landing pad.
        char name[32];
        std::snprintf(name, sizeof name, "frame %d", depth);
        Tracked t(name);
        descend(depth + 1, throw_at);
    } else {
        descend(depth + 1, throw_at);
    }
}

void throw_int(int v)
{
    throw v;
}
void throw_text(int v)
{
    throw Failure{v, Text("from a function pointer")};
}
void no_throw(int) {}

struct Worker {
    virtual ~Worker() = default;
    virtual int run(int v) = 0;
};
struct GoodWorker : Worker {
    int run(int v) override
    {
        return v * 2;
    }
};
struct BadWorker : Worker {
    int run(int v) override
    {
        Tracked t("BadWorker::run");
        throw Failure{v, Text("virtual call")};
    }
};

int run_all(Worker *const *workers, int n)
{
    Tracked t("run_all");
    int sum = 0;
    for (int i = 0; i < n; i++)
        sum += workers[i]->run(i + 1);
    return sum;
}

void frames()
{
    std::printf("across frames\n");
    try {
        descend(1, 35);
    } catch (const Failure &f) {
        std::printf("  caught from depth %d: %s (deepest %d)\n", f.code, f.message.c_str(),
                    depth_reached);
    }

    void (*const table[])(int) = {no_throw, throw_int, no_throw, throw_text};
    for (int i = 0; i < 4; i++) {
        try {
            table[i](i * 10);
            std::printf("  table[%d] returned\n", i);
        } catch (int v) {
            std::printf("  table[%d] threw int %d\n", i, v);
        } catch (const Failure &f) {
            std::printf("  table[%d] threw Failure %d %s\n", i, f.code, f.message.c_str());
        }
    }

    GoodWorker good;
    BadWorker bad;
    Worker *const workers[] = {&good, &good, &bad, &good};
    try {
        std::printf("  sum %d\n", run_all(workers, 2));
        std::printf("  sum %d\n", run_all(workers, 4));
    } catch (const Failure &f) {
        std::printf("  virtual call threw Failure %d %s\n", f.code, f.message.c_str());
    }
}

// ---- Unwinding through constructors ------------------------------------------------------

struct Part {
    Tracked t;
    Part(const char *name, bool fail) : t(name)
    {
        if (fail)
            throw Failure{1, Text(name)};
    }
};

struct Foundation {
    Tracked t{"Foundation"};
};

struct Whole : Foundation {
    Tracked a;
    Part b;
    Tracked c;
    explicit Whole(bool fail) : a("member a"), b("member b", fail), c("member c") {}
    ~Whole()
    {
        std::printf("  ~Whole\n");
    }
    // Class-specific allocation, to show that a new-expression whose constructor throws
    // gives the memory back.
    static void *operator new(std::size_t size)
    {
        std::printf("  Whole::operator new\n");
        return std::malloc(size);
    }
    static void operator delete(void *p)
    {
        std::printf("  Whole::operator delete\n");
        std::free(p);
    }
};

int elements_built;
struct Element {
    int id;
    Element() : id(++elements_built)
    {
        if (id == 4)
            throw id;
        std::printf("  element %d built\n", id);
    }
    ~Element()
    {
        std::printf("  element %d destroyed\n", id);
    }
};

// A function-try-block on a constructor: the handler runs, then the exception goes on.
struct Guarded {
    Part part;
    Guarded()
    try : part("guarded part", true) {
    } catch (const Failure &f) {
        std::printf("  constructor handler: %s\n", f.message.c_str());
    }
};

void constructors()
{
    std::printf("constructors\n");
    try {
        Whole w(true);
        wrong("Whole built");
    } catch (const Failure &f) {
        std::printf("  Whole failed at %s\n", f.message.c_str());
    }
    try {
        Whole *w = new Whole(true);
        wrong("new Whole built");
        delete w;
    } catch (const Failure &f) {
        std::printf("  new Whole failed at %s\n", f.message.c_str());
    }
    try {
        Whole w(false);
        std::printf("  Whole built\n");
    } catch (...) {
        wrong("Whole(false) threw");
    }
    try {
        Element *array = new Element[6];
        wrong("array built");
        delete[] array;
    } catch (int id) {
        std::printf("  array failed at element %d\n", id);
    }
    try {
        Guarded g;
        wrong("Guarded built");
    } catch (const Failure &f) {
        std::printf("  Guarded rethrew %d %s\n", f.code, f.message.c_str());
    }
}

// ---- Many exceptions ---------------------------------------------------------------------

int loop_value(int i)
{
    switch (i % 5) {
    case 0:
        throw i;
    case 1:
        throw Failure{i, Text("loop")};
    case 2:
        throw &int_object;
    case 3:
        throw Leaf();
    default:
        return i;
    }
}

int loop_rethrow(int i)
{
    try {
        return loop_value(i);
    } catch (const Failure &f) {
        if (f.code % 2 == 0)
            throw;
        return static_cast<int>(f.message.size()) + f.code;
    }
}

void many()
{
    std::printf("many exceptions\n");
    unsigned long checksum = 0;
    int thrown = 0;
    for (int i = 0; i < 100000; i++) {
        int value;
        try {
            value = loop_rethrow(i);
        } catch (int v) {
            value = v * 3;
            thrown++;
        } catch (const Failure &f) {
            value = f.code ^ static_cast<int>(f.message.size());
            thrown++;
        } catch (int *p) {
            value = *p + i;
            thrown++;
        } catch (const Base &b) {
            value = b.base_value + static_cast<int>(std::strlen(b.who()));
            thrown++;
        }
        checksum = checksum * 31 + static_cast<unsigned long>(value);
        checksum &= 0xffffffffu;
    }
    std::printf("  %d caught, checksum %lu\n", thrown, checksum);
}

} // namespace

int main()
{
    basic_types();
    class_hierarchies();
    pointers();
    catch_all();
    rethrow();
    nested_tries();
    frames();
    constructors();
    many();
    check(tracked_live == 0, "Tracked objects left alive");
    check(text_live == 0, "Text objects left alive");
    std::printf("done: %d failures, %d Tracked and %d Text objects alive\n", failures, tracked_live,
                text_live);
    return failures == 0 ? 0 : 1;
}
