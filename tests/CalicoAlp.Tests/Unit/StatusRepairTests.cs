using System.Linq;
using System.Text.Json.Nodes;
using CalicoAlp.Core.Namespaces;
using CalicoAlp.Core.Results;
using CalicoAlp.Core.Status;
using Xunit;

namespace CalicoAlp.Tests.Unit
{
    /// <summary>Repair-AlpSetup's step plan and the sidecar reading Get-AlpStatus and Add-AlpNamespace share.</summary>
    public class StatusRepairTests
    {
        [Fact]
        public void Plan_runs_one_step_per_kind_in_the_safe_order_whatever_the_input_order()
        {
            var steps = AlpRepair.Plan(new (AlpRepairKind, System.Collections.Generic.IEnumerable<string>)[]
            {
                (AlpRepairKind.AuthorizationService, new string[0]),
                (AlpRepairKind.PilotEgress, new[] { "b" }),
                (AlpRepairKind.NamespaceWorkloads, new[] { "shop" }),
                (AlpRepairKind.None, new string[0]),
                (AlpRepairKind.InjectorPatch, new string[0]),
                (AlpRepairKind.NamespaceWorkloads, new[] { "a", "shop" }),
                (AlpRepairKind.FelixPolicySync, new string[0]),
            });
            Assert.Equal(new[] { AlpRepairKind.FelixPolicySync, AlpRepairKind.InjectorPatch, AlpRepairKind.NamespaceWorkloads, AlpRepairKind.PilotEgress, AlpRepairKind.AuthorizationService },
                steps.Select(s => s.Kind));
            Assert.Equal(new[] { "a", "shop" }, steps[2].Namespaces);
        }

        [Fact]
        public void Plan_drops_namespace_repairs_without_namespaces()
        {
            var steps = AlpRepair.Plan(new (AlpRepairKind, System.Collections.Generic.IEnumerable<string>)[] { (AlpRepairKind.NamespaceWorkloads, new string[0]) });
            Assert.Empty(steps);
        }

        [Theory]
        [InlineData("InjectorPatch", AlpRepairKind.InjectorPatch)]
        [InlineData("injectorpatch", AlpRepairKind.InjectorPatch)]
        [InlineData("", AlpRepairKind.None)]
        [InlineData(null, AlpRepairKind.None)]
        [InlineData("42", AlpRepairKind.None)]
        [InlineData("DeleteEverything", AlpRepairKind.None)]
        public void ParseKind_reads_csv_and_result_values_and_refuses_anything_else(string? text, AlpRepairKind kind)
        {
            Assert.Equal(kind, AlpRepair.ParseKind(text));
        }

        [Fact]
        public void A_native_sidecar_istio_proxy_counts_as_the_sidecar()
        {
            // Istio 1.22+ with native sidecars (the dikastes templates' requirement): istio-proxy is an init container
            // with restartPolicy Always, dikastes a container.
            var pod = JsonNode.Parse("""
                {"metadata":{"name":"web-1"},"spec":{
                  "initContainers":[{"name":"istio-validation"},{"name":"istio-proxy","restartPolicy":"Always"}],
                  "containers":[{"name":"app"},{"name":"dikastes"}]}}
                """)!.AsObject();
            Assert.Null(WorkloadInventory.MissingSidecar(pod));
        }

        [Fact]
        public void An_init_container_named_istio_proxy_that_is_not_a_sidecar_is_no_sidecar()
        {
            var pod = JsonNode.Parse("""
                {"metadata":{"name":"web-1"},"spec":{"initContainers":[{"name":"istio-proxy"}],"containers":[{"name":"app"}]}}
                """)!.AsObject();
            Assert.Equal(SidecarGap.NoSidecar, WorkloadInventory.MissingSidecar(pod));
        }
    }
}
