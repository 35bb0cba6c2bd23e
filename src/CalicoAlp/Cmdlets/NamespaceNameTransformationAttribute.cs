using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Cmdlets
{
    /// <summary>
    /// Lets -Name take pipeline objects as well as strings: a Kubernetes Namespace object (metadata.name, as
    /// ConvertFrom-Json or a client library gives it), an AlpNamespaceResult (its Namespace), or a plain record such as
    /// an Import-Csv row (its Name or Namespace column). Any other typed object (e.g. Enable-CalicoAppLayerPolicy's
    /// ResourceChange, whose Name is not a namespace) is refused rather than turned into a string.
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
            if (value is Core.Results.AlpNamespaceResult result) return result.Namespace;
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
            if (value is PSCustomObject && pso != null)
            {
                var plain = pso.Properties["Namespace"]?.Value ?? pso.Properties["Name"]?.Value;
                if (plain is string or PSObject { BaseObject: string }) return plain.ToString()!;
            }
            throw new ArgumentTransformationMetadataException(
                $"A {value.GetType().Name} does not name a namespace. Pass namespace names, Namespace objects or Add-AlpNamespace results, or give -Name explicitly.");
        }
    }
}
