// Placeholder until the simulator runner lands.
#include <cstdio>
int main() { std::fputs("sim-runner: not built yet\n", stderr); return 1; }
