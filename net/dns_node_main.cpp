// Placeholder until the standalone server lands.
#include <cstdio>
int main() { std::fputs("dns-node: not built yet\n", stderr); return 1; }
