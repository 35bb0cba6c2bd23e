namespace CalicoAlp.Core.Injector
{
    /// <summary>What the live injector intent does to data.config.</summary>
    public enum InjectorLiveMode
    {
        Set,
        Remove,
        RestoreBackup,
    }
}
