/* printf-double: floating-point formatting and parsing. glibc's printf and
 * strtod use multi-precision integer code and FP registers, so this checks
 * FP/SIMD state, FPCR rounding and 64-bit arithmetic together. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double values[] = {
	0.0, -0.0, 1.0, -1.0, 0.1, -2.5, 3.141592653589793, 2.718281828459045,
	1e-300, 4.9406564584124654e-324 /* smallest subnormal */, 2.2250738585072014e-308,
	1.7976931348623157e308 /* DBL_MAX */, 123456789.125, -0.000123456789, 1e21, 1e22,
	0.5, 1.5, 2.5 /* round-half-even for %.0f */, 1.0 / 3.0,
};

int main(void)
{
	char buf[128];
	volatile double zero = 0.0;
	double specials[] = { NAN, -NAN, INFINITY, -INFINITY, zero / zero };

	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		double v = values[i];
		printf("%f | %e | %g | %.17g | %a | %.0f | %12.3f|%-12.3e|\n", v, v, v, v, v, v, v, v);
		/* %.17g is enough digits to round-trip every double exactly */
		snprintf(buf, sizeof buf, "%.17g", v);
		double back = strtod(buf, NULL);
		printf("  round-trip %s: %s\n", buf, memcmp(&back, &v, sizeof v) == 0 ? "ok" : "MISMATCH");
	}
	for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++) {
		double v = specials[i];
		printf("%f %e %g %F %a\n", v, v, v, v, v);
	}
	static const char *inputs[] = { "0x1.8p3", "1e400", "-1e-400", "inf", "-nan", "  42.5xyz",
					"2.2250738585072011e-308", "0.1e1", "1_0" };
	for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
		char *end;
		double v = strtod(inputs[i], &end);
		printf("strtod(\"%s\") = %.17g, consumed %d\n", inputs[i], v, (int)(end - inputs[i]));
	}
	printf("sqrt(2)=%.17g fma=%.17g\n", sqrt(2.0), fma(0.1, 10.0, -1.0));
	return 0;
}
