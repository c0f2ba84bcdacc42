using Xunit.Abstractions;
using Xunit.Sdk;

namespace Shield.Tests.Resilience;

/// <summary>The drills share one stack and each one removes a Workers process, so they run in a fixed order.</summary>
public sealed class AlphabeticalOrderer : ITestCaseOrderer
{
    public const string TypeName = "Shield.Tests.Resilience.AlphabeticalOrderer";
    public const string AssemblyName = "Shield.Tests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase =>
        testCases.OrderBy(t => t.TestMethod.Method.Name, StringComparer.Ordinal);
}
