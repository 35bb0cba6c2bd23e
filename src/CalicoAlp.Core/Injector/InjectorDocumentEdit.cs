using System;

namespace CalicoAlp.Core.Injector
{
    /// <summary>
    /// An edit of a ConfigMap document for offline use: read the document, edit its data.config, and the document text
    /// to write (only the config string changed).
    /// </summary>
    public sealed class InjectorDocumentEdit
    {
        private InjectorDocumentEdit(InjectorConfigDocument document, InjectorEdit edit, string output)
        {
            Document = document;
            Edit = edit;
            Output = output;
        }

        public InjectorConfigDocument Document { get; }
        public InjectorEdit Edit { get; }
        /// <summary>The whole document after the edit.</summary>
        public string Output { get; }

        /// <summary>The unified diff of data.config.</summary>
        public string ConfigDiff => UnifiedDiff.Create(Edit.Before, Edit.After, "a/data.config", "b/data.config");

        public static InjectorDocumentEdit Set(string text, string source, DikastesSidecarOptions options, string? istioVersion)
        {
            ArgumentNullException.ThrowIfNull(options);
            var doc = InjectorConfigDocument.Load(text, source);
            var istio = string.IsNullOrWhiteSpace(istioVersion) ? IstioTemplateVersion.Detect(doc.Config, doc.Values) : IstioTemplateVersion.Given(istioVersion!);
            var edit = InjectorTemplateEditor.Set(doc.Config, options, istio, doc.Values);
            return new InjectorDocumentEdit(doc, edit, edit.Changed ? doc.WithConfig(edit.After) : text);
        }

        public static InjectorDocumentEdit Remove(string text, string source)
        {
            var doc = InjectorConfigDocument.Load(text, source);
            var edit = InjectorTemplateEditor.Remove(doc.Config, doc.Values);
            return new InjectorDocumentEdit(doc, edit, edit.Changed ? doc.WithConfig(edit.After) : text);
        }

        /// <summary>The result object for this edit.</summary>
        public InjectorPatchResult ToResult(string context, string target, DikastesSidecarOptions? options, bool showDiff, string? outFile, bool whatIf) =>
            new(context, target, Edit.Action, Edit.IstioVersion)
            {
                CalicoVersion = options?.CalicoVersion.ToString(),
                Image = options?.Image,
                PreviousImage = Edit.StateBefore.Image,
                OutFile = outFile,
                Diff = showDiff ? ConfigDiff : null,
                WhatIf = whatIf,
            };
    }
}
