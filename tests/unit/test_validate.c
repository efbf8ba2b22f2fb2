/* placeholder until written: fails so it is never mistaken for a passing suite */
int main(void) { return 1; }
