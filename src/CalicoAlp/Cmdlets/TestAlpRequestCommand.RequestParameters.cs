namespace CalicoAlp.Cmdlets
{
    /// <summary>Test-AlpRequest's request parameters are mapped to a request by the shared Core builder (see RequestParameterSource).</summary>
    public sealed partial class TestAlpRequestCommand : IRequestParameterSource
    {
    }
}
