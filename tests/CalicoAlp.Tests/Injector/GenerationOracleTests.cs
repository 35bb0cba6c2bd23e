using System;
using System.Collections.Generic;
using System.Linq;
using CalicoAlp.Core.Injector;
using Xunit;

namespace CalicoAlp.Tests.Injector
{
    /// <summary>
    /// Every §8 pair: Set on Istio's stock config gives Calico's config (Calico's insertions byte for byte, the stock lines
    /// Calico's whole-config replacement dropped kept), Remove gives the stock bytes back, and a second Set is Unchanged.
    /// </summary>
    [Trait("Category", "Shared")]
    public class GenerationOracleTests
    {
        public static IEnumerable<object[]> Pairs() => GenerationPair.All().Select(p => new object[] { p.Istio, p.Calico, p.CalicoFile });

        private static GenerationPair Pair(string istio, string calico, string file) => new(istio, calico, file);

        /// <summary>Calico's config with the stock 'injectedAnnotations:' line (and the blank after it) put back where stock has it.</summary>
        private static string Expected(GenerationPair p)
        {
            var calico = p.CalicoConfig;
            if (!p.CalicoDroppedInjectedAnnotations) return calico;
            var stock = p.StockConfig.Split('\n');
            var at = Array.IndexOf(stock, "injectedAnnotations:");
            Assert.True(at > 0, "stock has injectedAnnotations:");
            var lines = calico.Split('\n').ToList();
            // Calico's file goes on with the line that followed them in stock ("template: |"), and has everything before them
            var next = lines.IndexOf(stock[at + 2]);
            Assert.True(next > 0);
            Assert.Equal(stock.Take(at), lines.Take(next));
            lines.InsertRange(next, new[] { stock[at], stock[at + 1] });
            return string.Join("\n", lines);
        }

        [Theory]
        [MemberData(nameof(Pairs))]
        public void Set_on_stock_gives_calicos_config(string istio, string calico, string file)
        {
            var p = Pair(istio, calico, file);
            var set = InjectorTemplateEditor.Set(p.StockConfig, p.Options, IstioTemplateVersion.Given(istio));
            Assert.Equal(InjectorEditAction.Created, set.Action);
            Assert.Equal(Expected(p), set.After);
        }

        [Theory]
        [MemberData(nameof(Pairs))]
        public void Remove_gives_the_stock_bytes_back_and_set_twice_is_unchanged(string istio, string calico, string file)
        {
            var p = Pair(istio, calico, file);
            var set = InjectorTemplateEditor.Set(p.StockConfig, p.Options, IstioTemplateVersion.Given(istio));
            var again = InjectorTemplateEditor.Set(set.After, p.Options, IstioTemplateVersion.Given(istio));
            Assert.Equal(InjectorEditAction.Unchanged, again.Action);
            var removed = InjectorTemplateEditor.Remove(set.After);
            Assert.Equal(InjectorEditAction.Removed, removed.Action);
            Assert.Equal(p.StockConfig, removed.After);
        }

        [Theory]
        [MemberData(nameof(Pairs))]
        public void Remove_on_calicos_own_file_takes_out_exactly_its_insertions(string istio, string calico, string file)
        {
            var p = Pair(istio, calico, file);
            var removed = InjectorTemplateEditor.Remove(p.CalicoConfig);
            Assert.Equal(InjectorEditAction.Removed, removed.Action);
            Assert.True(removed.StateBefore.IsCompletelyPatched);
            Assert.Equal(p.Image, removed.StateBefore.Image);
            var stock = p.StockConfig;
            if (p.CalicoDroppedInjectedAnnotations) stock = stock.Replace("injectedAnnotations:\n\n", "", StringComparison.Ordinal);
            Assert.Equal(stock, removed.After);
        }
    }
}
