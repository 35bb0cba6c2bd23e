using System;
using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Selectors;

namespace CalicoAlp.Core.Policy.Evaluation
{
    internal struct SideData
    {
        public bool HasIp;
        public IpValue Ip;
        public int Port;
        public Peer Peer;
        public EndpointContext? Endpoint;
    }
}
