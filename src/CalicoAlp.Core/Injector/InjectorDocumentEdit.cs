using System;
using CalicoAlp.Core.Results;

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

        /// <summary>Set on the document's data.config; a customised dikastes container is refused naming <paramref name="source"/> unless <paramref name="force"/>.</summary>
        public static InjectorDocumentEdit Set(string text, string source, DikastesSidecarOptions options, string? istioVersion, bool force = false)
        {
            ArgumentNullException.ThrowIfNull(options);
            var doc = InjectorConfigDocument.Load(text, source);
            var istio = string.IsNullOrWhiteSpace(istioVersion) ? IstioTemplateVersion.Detect(doc.Config, doc.Values) : IstioTemplateVersion.Given(istioVersion!);
            var edit = InjectorTemplateEditor.Set(doc.Config, options, istio, doc.Values, force, source);
            return new InjectorDocumentEdit(doc, edit, edit.Changed ? doc.WithConfig(edit.After) : text);
        }

        public static InjectorDocumentEdit Remove(string text, string source)
        {
            var doc = InjectorConfigDocument.Load(text, source);
            var edit = InjectorTemplateEditor.Remove(doc.Config, doc.Values);
            return new InjectorDocumentEdit(doc, edit, edit.Changed ? doc.WithConfig(edit.After) : text);
        }

        /// <summary>
        /// Where to keep a file before -Force writes over a customised dikastes container in it: &lt;file&gt;.calicoalp-backup,
        /// or with .1, .2, ... appended when taken (an earlier backup is never overwritten).
        /// </summary>
        public static string FreeBackupPath(string file, Func<string, bool> exists)
        {
            ArgumentNullException.ThrowIfNull(exists);
            var path = file + ".calicoalp-backup";
            for (var n = 1; exists(path); n++) path = $"{file}.calicoalp-backup.{n}";
            return path;
        }

        /// <summary>The result object for this edit.</summary>
        public InjectorPatchResult ToResult(string context, string target, DikastesSidecarOptions? options, bool showDiff, string? outFile, bool whatIf, string? backupFile = null) =>
            new(context, target, Edit.Action, Edit.IstioVersion)
            {
                BackupName = backupFile,
                ReplacedCustomizations = Edit.ReplacedCustomizations,
                CalicoVersion = options?.CalicoVersion.ToString(),
                Image = options?.Image,
                PreviousImage = Edit.StateBefore.Image,
                OutFile = outFile,
                Diff = showDiff ? ConfigDiff : null,
                WhatIf = whatIf,
            };
    }
}
