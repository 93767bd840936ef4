/* exit42: the exit status must reach the host unchanged. */
int main(void)
{
	return 42;
}
