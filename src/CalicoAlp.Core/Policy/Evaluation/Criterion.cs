using System;
using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Selectors;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>Which criterion made a rule fail (for traces; an enum so that matching allocates nothing).</summary>
    internal enum Criterion
    {
        None,
        ServiceAccount,
        Namespace,
        Selector,
        NotSelector,
        Ports,
        NotPorts,
        Nets,
        NotNets,
        Method,
        Path,
        Protocol,
        NotProtocol,
    }
}
