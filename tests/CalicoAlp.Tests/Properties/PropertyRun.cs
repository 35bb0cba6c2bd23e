using System;
using System.Threading;
using CsCheck;
using Xunit;
using Xunit.Abstractions;

namespace CalicoAlp.Tests.Properties
{
    /// <summary>
    /// Runs a CsCheck property a fixed number of times on one thread (the machine is shared; the test classes already run
    /// in parallel) and writes how many cases it checked. A failure is CsCheck's: the smallest failing case found and the
    /// seed that reproduces it (set CsCheck_Seed to run it again).
    /// </summary>
    internal static class PropertyRun
    {
        public static int Check<T>(ITestOutputHelper output, string name, Gen<T> gen, Action<T> property, long iterations, Func<T, string>? print = null)
        {
            int cases = 0;
            gen.Sample(t =>
            {
                Interlocked.Increment(ref cases);
                property(t);
            }, iter: iterations, threads: 1, print: print);
            output.WriteLine($"{name}: {cases} cases");
            Assert.True(cases >= iterations, $"{name}: only {cases} of {iterations} cases ran");
            return cases;
        }
    }
}
