using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;

namespace CalicoAlp.Core.Policy.Evaluation
{
    public enum TrafficDirection
    {
        Ingress,
        Egress,
    }
}
