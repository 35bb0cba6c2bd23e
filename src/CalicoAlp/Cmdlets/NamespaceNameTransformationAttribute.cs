using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;

namespace CalicoAlp.Cmdlets
{
    /// <summary>
    /// Lets -Name take Namespace objects as well as strings: an object with metadata.name (a Kubernetes Namespace as
    /// ConvertFrom-Json or a client library gives it) becomes its name.
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    public sealed class NamespaceNameTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
        {
            if (inputData is IList list && inputData is not string)
            {
                var names = new List<object>();
                foreach (var item in list) names.Add(One(item));
                return names.ToArray();
            }
            return One(inputData);
        }

        private static object One(object? item)
        {
            var pso = item as PSObject;
            var value = pso?.BaseObject ?? item;
            if (value is string || value == null) return value!;
            var metadata = (pso ?? PSObject.AsPSObject(value)).Properties["metadata"]?.Value ?? (pso ?? PSObject.AsPSObject(value)).Properties["Metadata"]?.Value;
            if (metadata is PSObject mp && mp.BaseObject is IDictionary) metadata = mp.BaseObject;
            if (metadata is IDictionary dict)
            {
                if (dict["name"] is { } dn) return dn.ToString()!;
            }
            else if (metadata != null)
            {
                var name = PSObject.AsPSObject(metadata).Properties["name"]?.Value ?? PSObject.AsPSObject(metadata).Properties["Name"]?.Value;
                if (name != null) return name.ToString()!;
            }
            return item!;
        }
    }
}
