using CalicoAlp.Core.Policy.Comparison;

namespace CalicoAlp.Core.Results
{
    /// <summary>Changed decisions of one policy or source.</summary>
    public sealed class ComparisonCount
    {
        public long NewlyDenied { get; internal set; }
        public long NewlyAllowed { get; internal set; }
        /// <summary>Same verdict, decided by another rule.</summary>
        public long OtherRule { get; internal set; }

        internal void Add(ChangeKind change)
        {
            switch (change)
            {
                case ChangeKind.NewlyDenied: NewlyDenied++; break;
                case ChangeKind.NewlyAllowed: NewlyAllowed++; break;
                case ChangeKind.OtherRule: OtherRule++; break;
            }
        }

        public override string ToString() => $"{NewlyDenied} newly denied, {NewlyAllowed} newly allowed, {OtherRule} other rule";
    }
}
